"""Benchmark: ingest a 100,000-row ORDERS file (and its redelivery) against a large orders table.

    .venv/bin/python -m bench.orders.ingest [--rows 100000] [--existing 1000000] [--bad-every 100]

The warehouse gets the sample master and `--existing` orders generated in SQL; then one ORDERS file
of `--rows` rows (every `--bad-every`-th row with an amount over the limit) is ingested by the real
handler in one transaction, then the same rows again in another file (all identical, nothing
changes). Results go to docs/benchmarks.md (## Master data and orders).
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.options import options
from tasks.clock import JST
from tasks.inbox import InboundFile, parse_name
from tasks.master import load_master
from tasks.orders import ingest_orders_file
from tasks.settings import Settings
from tasks.warehouse import Warehouse, transaction

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "spec" / "samples"
AS_OF = datetime(2026, 11, 2, 11, 0, tzinfo=JST)
HEADER = (
    "merchant_id,site_id,order_id,chain,payment_reference,amount,tax_mode,tax_amount,ordered_at,"
    "due_date,customer_name_kana,customer_phone,customer_email"
)


def orders_csv(rows: int, bad_every: int) -> bytes:
    lines = [HEADER]
    for i in range(rows):
        amount = 300_001 if bad_every and i % bad_every == bad_every - 1 else 1_000 + i % 50_000
        lines.append(
            f"M000001,S000001,B-{i:07d},seven,{2_000_000_000_000 + i:013d},{amount},taxable,{amount // 11},"
            f"2026-11-02T10:{i % 60:02d}:00+09:00,2026-11-{9 + i % 20:02d},"
            f"ヤマダ　タロウ,0312345678,b{i}@example.jp"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def preload(con, existing: int) -> None:
    con.execute(
        """insert into orders select 'M000001', 'S000001', 'E-' || i, 'seven', (1000000000000 + i)::varchar,
               1000, 'taxable', 90, timestamp '2026-10-01 10:00:00', date '2026-10-20', 0, 1, localtimestamp
           from range(?) t(i)""",
        [existing],
    )
    con.execute(
        """insert into order_customers select 'M000001', 'E-' || i, 'ヤマダ', '0312345678', null
           from range(?) t(i)""",
        [existing],
    )


def main() -> None:
    args = options(rows=100_000, existing=1_000_000, bad_every=100)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        wh = Warehouse(Path(tmp) / "warehouse.duckdb")
        content = orders_csv(args.rows, args.bad_every)
        with wh.session() as con:
            load_master(con, SAMPLES / "master", AS_OF)
            with transaction(con):
                preload(con, args.existing)
            for seq, label in ((1, "new"), (2, "redelivered")):
                f = InboundFile(parse_name("orders", f"ORDERS_20261102103000_{seq:06d}.csv"), content)
                t, cpu = time.perf_counter(), time.process_time()
                with transaction(con):
                    out = ingest_orders_file(con, f, AS_OF, settings)
                elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
                print(
                    f"{label:12s} {args.rows:>8,} rows ({len(content) / 1e6:.1f} MB) against"
                    f" {args.existing:,} existing orders: {elapsed:.2f} s wall, {cpu:.2f} s CPU  {out.counts}"
                )


if __name__ == "__main__":
    main()
