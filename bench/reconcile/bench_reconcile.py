"""Reconciliation at scale: 10,000,000 orders and ~12,000,000 events, generated in DuckDB SQL.

    .venv/bin/python -m bench.reconcile.bench_reconcile [--dir /tmp/konbini-bench] [--orders N]
                                                        [--base DIR] [--phases generate,full,...]

--base DIR: start from a copy of DIR/warehouse.duckdb (a data set generated once with
`--dir DIR --phases generate`) instead of generating: the 10 M data set takes minutes to build.

Phases, each in its own process (wall time and peak RSS of that process):
  generate     orders, accepted files and feed records straight into a fresh warehouse
  full         reconcile from scratch as of 2026-12-30 00:00 (derived tables empty)
  incremental  the scheduled run as of 2026-12-31 00:00: only what changed in that day
               (one day's new events and orders, expiries, PRELIM_NOT_CONFIRMED deadlines)
  window       the operator's rerun of the same day with --since/--until
  full-again   a full rerun as of 2026-12-31 00:00 over a populated warehouse
  notify-merchants  the notification benchmark's 2,000 merchants (half with a notify_url) loaded
               before the latest enqueue mark, so that the next incremental run enqueues the events
               of its day's facts (the scheduled enqueue, issue 14.4); run it on a copy of a full run
  notify-history  after notify-merchants: the outbox a warehouse that has notified all along holds,
               every event known as of 2026-12-30 (millions of rows), and the mark of that enqueue;
               enqueued at once, then each row given the created_at of the daily run after its
               happened_at and stored in that order, as daily enqueues would have appended them
  notify-recent  after notify-history: the outbox rows created after 2026-12-20 removed, as if the
               enqueues since had not run: the next incremental run enqueues them (the generated facts
               end on 12-25, so its own day has none of its own), among the older events of its keys
  index        only bring the key index (tasks/reconcile/key_index.py) up to date as of 2026-12-30, as
               a full run does at its end: for a data set reconciled by a version without it
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

AS_OF_FULL = datetime(2026, 12, 30)
AS_OF_INC = datetime(2026, 12, 31)
PER_DAY = 28_572  # orders a day: 10M over 350 days

GENERATE = """
create temp table g_orders as
select i,
    ['seven', 'lawson', 'famima', 'ministop', 'daily', 'seicomart'][(i % 6) + 1] as chain,
    date '2026-01-01' + (i // {per_day})::integer as order_day,
    500 + (i * 7919) % 60000 as amount
from range({n}) t(i);

insert into orders
select 'M' || lpad((i % 2000)::varchar, 6, '0'), 'S' || lpad((i % 2000)::varchar, 6, '0'), 'O' || i, chain,
    lpad(i::varchar, case chain when 'seven' then 13 when 'famima' then 12 else 11 end, '0'),
    amount, 'taxable', amount // 11, order_day + interval 10 hour, order_day + 7,
    0, (i % {per_day}) + 1, order_day + interval 10 hour + interval 10 minute
from g_orders;

-- payments: 55% 01+02, 5% 01 only, 5% 02 only; 1 in 997 voided; 1 in 1000 paid twice; unknowns
create temp table g_pay as
select i, chain,
    lpad(i::varchar, case chain when 'seven' then 13 when 'famima' then 12 else 11 end, '0') as reference,
    order_day + (i % 5)::integer as paid_date,
    lpad(((i * 37) % 24)::varchar, 2, '0') || lpad(((i * 11) % 60)::varchar, 2, '0') || '00' as paid_time,
    ((i * 13) % 99999)::varchar as store_code, amount, i % 20 as r
from g_orders where i % 20 <= 12
union all
select i, chain, lpad(i::varchar, case chain when 'seven' then 13 when 'famima' then 12 else 11 end, '0'),
    order_day + 1, '235900', '77', amount, 11
from g_orders where i % 1000 = 1
union all
select {n} + k, 'lawson', lpad(({n} + k)::varchar, 11, '0'), date '2026-06-01' + (k % 200)::integer,
    '120000', '1', 1500, 11
from range(2000) t(k);

create temp table g_ev as
select p.*, k.kind from g_pay p, (values ('01'), ('02'), ('03')) k(kind)
where (k.kind = '01' and p.r <= 11) or (k.kind = '02' and (p.r <= 10 or p.r = 12))
   or (k.kind = '03' and p.r <= 11 and p.i % 997 = 0);

create temp table g_ev2 as
select *,
    case when chain = 'seven' then (case when kind = '02' then 'SEJ_02' else 'SEJ_01' end)
         when chain = 'famima' then (case when kind = '02' then 'FM_K' else 'FM_S' end)
         else 'CVS' end as file_kind,
    case when kind = '02' then paid_date + interval 5 day + interval 6 hour
         else paid_date + interval 22 hour + interval 50 minute end as file_created_at
from g_ev;

create temp table g_files as
select file_kind, file_created_at,
    row_number() over (order by file_created_at, file_kind) + 1000 as file_id,
    row_number() over (partition by file_kind order by file_created_at) as sequence_no
from (select distinct file_kind, file_created_at from g_ev2);

insert into inbound_files
select file_id,
    case when file_kind like 'SEJ%' then 'sej' when file_kind like 'FM%' then 'famima' else 'cvs' end,
    file_kind || '_' || strftime(file_created_at, '%Y%m%d%H%M%S') || '_'
      || lpad(sequence_no::varchar, 6, '0'),
    file_kind, sequence_no, file_created_at, md5(file_id::varchar), 0, ''::blob,
    file_created_at + interval 10 minute, 'accepted'
from g_files;

insert into feed_records
select f.file_id, row_number() over (partition by f.file_id order by e.reference, e.paid_time, e.kind),
    case when e.chain = 'seven' then 'SEJ' when e.chain = 'famima' then 'FM' else 'CVS' end,
    e.chain, e.kind, e.reference, e.paid_date, e.paid_time, e.store_code, e.amount,
    e.amount >= 50000, case when e.kind = '02' then e.paid_date + 10 end, null, null, null, null,
    e.file_created_at, e.file_created_at + interval 10 minute,
    md5(concat_ws('|', e.chain, e.reference, strftime(e.paid_date, '%Y-%m-%d'), e.paid_time, e.store_code,
                  e.amount::varchar, e.kind)),
    md5(concat_ws('|', e.chain, e.reference, strftime(e.paid_date, '%Y-%m-%d'), e.paid_time, e.store_code,
                  e.amount::varchar))
from g_ev2 e join g_files f using (file_kind, file_created_at)
-- stored in the order of arrival, as the ingest appends them file by file (zonemaps on file_id and
-- ingested_at are what a day's work prunes by)
order by f.file_id, e.reference, e.paid_time, e.kind;
"""


def _phase(name: str, db: Path, orders: int) -> dict:
    import duckdb

    from tasks.clock import JST
    from tasks.reconcile.run import reconcile
    from tasks.warehouse import Warehouse, migrate

    t0 = time.perf_counter()
    result: dict = {}
    if name == "generate":
        db.parent.mkdir(parents=True, exist_ok=True)
        for p in (db, db.with_name(db.name + ".wal")):
            p.unlink(missing_ok=True)
        con = duckdb.connect(str(db))
        migrate(con)
        con.execute(GENERATE.format(n=orders, per_day=PER_DAY))
        result["orders"] = con.execute("select count(*) from orders").fetchone()[0]
        result["events"] = con.execute("select count(*) from feed_records").fetchone()[0]
        result["files"] = con.execute("select count(*) from inbound_files").fetchone()[0]
        con.execute("checkpoint")
        con.close()
    elif name == "notify-merchants":
        from bench.notify.enqueue import MASTER

        with Warehouse(db).write() as con:
            con.execute(MASTER.split("insert into order_status")[0])  # the load and its merchants
            # loaded before the mark: not new to the enqueue (else every past fact would be)
            con.execute("update notification_enqueue_marks set max_load_id = 1")
            result["merchants_with_url"] = con.execute(
                "select count(*) from merchants where notify_url is not null").fetchone()[0]
    elif name == "notify-history":
        from tasks.notify.outbox import enqueue_events

        with Warehouse(db).write() as con:
            marks = "select as_of, max_file_id, max_load_id from notification_enqueue_marks"
            before = con.execute(marks).fetchall()
            con.execute("delete from notification_enqueue_marks")  # no mark: every fact
            result["enqueued"] = enqueue_events(con, AS_OF_FULL.replace(tzinfo=JST))
            result["marks"] = [str(m) for m in before + con.execute(marks).fetchall()]
        spread_by_day(db)
    elif name == "notify-recent":
        with Warehouse(db).write() as con:
            (result["removed"],) = con.execute(
                "delete from notification_outbox where created_at > timestamp '2026-12-20'").fetchone()
    elif name == "index":
        from tasks.reconcile import key_index

        with Warehouse(db).write() as con:
            key_index.catch_up(con, AS_OF_FULL)
            result["index_rows"] = con.execute(f"select count(*) from {key_index.INDEX}").fetchone()[0]
    else:
        kwargs: dict = {}
        as_of = AS_OF_INC
        if name == "full":
            as_of = AS_OF_FULL
        elif name == "incremental":
            kwargs = {"incremental": True}
        elif name == "window":
            kwargs = {"since": AS_OF_FULL.replace(tzinfo=JST), "until": AS_OF_INC.replace(tzinfo=JST)}
        with Warehouse(db).write() as con:
            r = reconcile(con, as_of.replace(tzinfo=JST), **kwargs)
        result = {"scope": r.scope, "orders": r.orders, "payments": r.payments, "exceptions": r.exceptions,
                  "open_exceptions": r.open_exceptions, "status_counts": r.status_counts,
                  "seconds": r.seconds}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["wall_s"] = round(time.perf_counter() - t0, 2)
    result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)  # all threads; honest on a busy machine
    result["peak_rss_mib"] = round(usage.ru_maxrss / 1024)
    return result


def spread_by_day(db: Path) -> None:
    """The outbox's rows as daily runs at 00:00 JST would have created them: each the day after its
    fact became known, appended day after day (two transactions: a key deleted and inserted again in
    one is refused by DuckDB)."""
    from tasks.warehouse import Warehouse

    day = "date_trunc('day', happened_at - interval 1 microsecond) + interval 1 day"
    with Warehouse(db).write() as con:
        con.execute(f"create or replace table bench_outbox as select * replace ({day} as created_at,"
                    f" {day} as window_start, {day} as next_attempt_at) from notification_outbox")
        con.execute("delete from notification_outbox")
    with Warehouse(db).write() as con:
        con.execute("insert into notification_outbox select * from bench_outbox"
                    " order by created_at, merchant_id, order_id, happened_at, event_id")
        con.execute("drop table bench_outbox")


def copy_base(base: Path, db: Path) -> None:
    """A fresh copy of a generated warehouse (the runs write into it; the base stays as generated)."""
    if not base.exists():
        sys.exit(f"--base: {base} does not exist (generate it once with --phases generate)")
    db.parent.mkdir(parents=True, exist_ok=True)
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.copyfile(base, db)
    wal = base.with_name(base.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, db.with_name(db.name + ".wal"))


def _loadavg() -> str:
    """1-minute load average: the machine is shared, every figure is written beside it."""
    return Path("/proc/loadavg").read_text().split()[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=Path("/tmp/konbini-bench"))
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--phases", default="generate,full,incremental,window,full-again")
    ap.add_argument("--base", type=Path, default=None, help="copy DIR/warehouse.duckdb instead of generating")
    args = ap.parse_args()
    db = args.dir / "warehouse.duckdb"
    if args.base is not None and not args.phase:
        copy_base(args.base / "warehouse.duckdb", db)
    if args.phase:
        print(json.dumps(_phase(args.phase, db, args.orders)))
        return
    for phase in args.phases.split(","):
        load_before = _loadavg()
        out = subprocess.run(
            [sys.executable, "-m", "bench.reconcile.bench_reconcile", "--dir", str(args.dir),
             "--orders", str(args.orders), "--phase", phase],
            capture_output=True, text=True, check=False,
        )
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            sys.exit(out.returncode)
        print(f"{phase}: {out.stdout.strip()} load average {load_before} -> {_loadavg()}", flush=True)


if __name__ == "__main__":
    main()
