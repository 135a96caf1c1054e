"""A warehouse of N orders for the web benchmark, written with set-based SQL (no pipeline run):
the samples' master data, then orders, customers, payments, their 速報/確報 records and order
statuses spread over 12 months, as reconciliation would leave them; then one publish."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tasks.clock import JST
from tasks.master import load_master
from tasks.settings import Settings
from tasks.warehouse import Warehouse

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "samples"
CHAINS = ["seven", "lawson", "famima", "ministop", "daily", "seicomart"]
FEED = "case i % 6 when 0 then 'SEJ' when 2 then 'FM' else 'CVS' end"

# i = 0 … N-1: merchant M00000(i%3+1); 70 % paid (速報), 60 % confirmed (確報)
ORDERS = """
create temp table gen as
select i, 'M00000' || (i % 3 + 1) as merchant_id, 'S00000' || (i % 3 + 1) as site_id,
       'O' || lpad(i::varchar, 10, '0') as order_id,
       ['seven','lawson','ministop','daily','seicomart','lawson'][i % 6 + 1] as chain,
       lpad(i::varchar, 13, '0') as reference, 1000 + i % 50000 as amount,
       timestamp '2025-12-01 00:00:00' + to_minutes(((i * 7919) % (365 * 1440))::bigint) as ordered_at,
       i % 10 < 7 as paid, i % 10 < 6 as confirmed
from range({n}) t(i)
"""
INSERTS = [
    """insert into inbound_files values
       (1, 'orders', 'ORDERS_20251201000000_000001.csv', 'ORDERS', 1, '2025-12-01', 'x', 0, ''::blob,
        '2025-12-01', 'accepted'),
       (2, 'sej', 'SEJ_01_20251202000000_000001.dat', 'SEJ_01', 1, '2025-12-02', 'y', 0, ''::blob,
        '2025-12-02', 'accepted'),
       (3, 'sej', 'SEJ_02_20251209000000_000001.dat', 'SEJ_02', 1, '2025-12-09', 'z', 0, ''::blob,
        '2025-12-09', 'accepted')""",
    """insert into orders select merchant_id, site_id, order_id, chain, reference, amount, 'taxable',
       amount // 11, ordered_at, ordered_at::date + 7, 1, i + 2, ordered_at from gen order by i""",
    """insert into order_customers select merchant_id, order_id, 'ﾃｽﾄ ﾀﾛｳ', '0312345678', 't@example.jp'
       from gen order by i""",
    """insert into feed_records select case when k = '01' then 2 else 3 end, i, 'SEJ', chain, k, reference,
       ordered_at::date + 1, '120000', '1234567', amount, false,
       case when k = '02' then ordered_at::date + 10 end, null, null, null, null, ordered_at + interval 1 day,
       ordered_at + interval (case when k = '01' then 1 else 8 end) day, md5(i::varchar || k), md5(i::varchar)
       from gen, (values ('01'), ('02')) v(k) where paid and (k = '01' or confirmed) order by i, k""",
    """insert into payments select md5(i::varchar), chain, reference, ordered_at::date + 1, '120000',
       '1234567', amount, merchant_id, order_id, true, confirmed, false, true, 'order_payment', false,
       case when confirmed then false end, false, case when confirmed then ordered_at::date + 10 end,
       ordered_at + interval 1 day, case when confirmed then ordered_at + interval 8 day end,
       case when confirmed then ordered_at + interval 8 day end, null, null, false, false, confirmed, null,
       timestamp '2026-11-30' from gen where paid order by i""",
    """insert into order_status select merchant_id, order_id, chain, reference, amount, ordered_at::date + 7,
       case when confirmed then 'confirmed' when paid then 'paid'
            when ordered_at::date + 7 < date '2026-11-30' then 'expired' else 'awaiting_payment' end,
       case when paid then md5(i::varchar) end, timestamp '2026-11-30' from gen order by i""",
]


def build(data: Path, n: int) -> Settings:
    settings = Settings(data_dir=data)
    wh = Warehouse(settings.warehouse_path)
    load_master(wh, SAMPLES / "master", datetime(2025, 11, 1, tzinfo=JST))
    with wh.write() as con:
        con.execute(ORDERS.format(n=n))
        for sql in INSERTS:
            con.execute(sql)
        con.execute("drop table gen")
    wh.publish()
    return settings
