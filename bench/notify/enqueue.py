"""Benchmark: the notification enqueue with 10,000,000 orders and ~12,000,000 feed records stored.

    .venv/bin/python -m bench.notify.enqueue [--dir /tmp/konbini-notify-bench] [--orders 10000000]
                                             [--phases generate,first,day,again]
                                             [--base DIR]

--base DIR: instead of generating the reconcile benchmark's data, start from a copy of
DIR/warehouse.duckdb (generated once by bench.reconcile with `--phases generate`); the `generate`
phase then only adds this benchmark's merchants, order files and order_status to the copy.

Phases, each in its own process (wall time of `enqueue_events` and peak RSS of the process):
  generate  the reconcile benchmark's orders, files and records (bench/reconcile), 2,000 merchants of
            which half have a notify_url since 2026-01-01, and order_status as of DAY (unpaid orders
            past their due date `expired`)
  first     the first enqueue, as of DAY - 1 day: every event known then (millions; once)
  mark      instead of `first`: only the mark such an enqueue leaves (outbox empty), in seconds,
            and the key index as the reconciliation of DAY - 1 day leaves it (`index`)
  index     only the key index (tasks/reconcile/key_index.py) up to date as of DAY - 1 day: for a
            data set prepared by a version without it
  day       the next enqueue, as of DAY: one day's new facts (the scheduled reconciliation's call)
  again     the same as of DAY again: nothing new
Every phase runs with all facts stored (records ingested after the as_of are stored too and must be
left out by the query, which makes the work harder, not easier).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

DAY = datetime(2026, 12, 10)

MASTER = """
insert into master_loads values (1, timestamp '2026-01-01 00:00:00', 'bench', 'bench');
insert into merchants
select 1, 'M' || lpad(k::varchar, 6, '0'), 'bench', 'ﾍﾞﾝﾁ', 'active', date '2025-12-01', 1, 'P1',
       '0005', '001',
       '1', '1234567',
       case when k % 2 = 0 then 'https://m' || k || '.example/hook' end,
       case when k % 2 = 0 then 'bench-' || repeat('s', 40) end, 'ops@example.jp'
from range(2000) t(k);
insert into order_status
select merchant_id, order_id, chain, payment_reference, amount, due_date,
       case when (order_id[2:]::bigint) % 20 > 12 and due_date + 1 <= $day then 'expired'
            else 'paid' end, null,
       -- rows the day's incremental reconciliation recomputed carry its as_of, those of the day
       -- before that one's, the others an older one
       case when due_date + 1 = $day::date or ingested_at > $day - interval 1 day then $day
            when due_date + 2 = $day::date or ingested_at > $day - interval 2 day then $day - interval 1 day
            else $day - interval 2 day end
from orders;
"""

# The reconcile benchmark's orders carry file_id 0: give them order files in the order of arrival,
# between the feed files (feed file k becomes 2k, the order files received after it 2k + 1).
FILES = """
create temp table f as select * from inbound_files;
delete from inbound_files;
insert into inbound_files select * replace (file_id * 2 as file_id) from f;
update feed_records set file_id = file_id * 2;
create temp table o as
select o.ingested_at, 2 * coalesce(max(f.file_id), 0) + 1 as file_id
from (select distinct ingested_at from orders) o left join f on f.received_at <= o.ingested_at
group by o.ingested_at;
update orders set file_id = o.file_id from o where orders.ingested_at = o.ingested_at;
insert into inbound_files
select file_id, 'orders', 'ORDERS_' || file_id, 'ORDERS', file_id, min(ingested_at), md5(file_id::varchar), 0,
       ''::blob, min(ingested_at), 'accepted'
from o group by file_id;
"""


def _phase(name: str, db: Path, orders: int, base: Path | None = None) -> dict:
    import duckdb

    from tasks.clock import JST
    from tasks.notify.outbox import enqueue_events
    from tasks.warehouse import Warehouse

    result: dict = {}
    if name == "generate":  # the reconcile benchmark's data, then ours on top
        from bench.reconcile.bench_reconcile import _phase as reconcile_phase

        if base is None:
            result = reconcile_phase("generate", db, orders)
        else:
            from bench.reconcile.bench_reconcile import copy_base

            copy_base(base / "warehouse.duckdb", db)
        con = duckdb.connect(str(db))
        con.execute(MASTER, {"day": DAY})
        con.execute(FILES)
        con.execute("checkpoint")
        con.close()
    elif name in ("mark", "index"):
        from tasks.notify import marks
        from tasks.reconcile import key_index

        with Warehouse(db).write() as con:
            if name == "mark":
                marks.leave(con, (DAY - timedelta(days=1)), 0, 0)
                result["mark"] = str(marks.latest(con))
            t0 = time.perf_counter()
            key_index.catch_up(con, DAY - timedelta(days=1))
            result["index_s"] = round(time.perf_counter() - t0, 2)
    else:
        as_of = {"first": DAY - timedelta(days=1), "day": DAY, "again": DAY}[name].replace(tzinfo=JST)
        with Warehouse(db).write() as con:
            t0, c0 = time.perf_counter(), time.process_time()
            result["enqueued"] = enqueue_events(con, as_of)
            result["enqueue_s"] = round(time.perf_counter() - t0, 3)
            result["enqueue_cpu_s"] = round(time.process_time() - c0, 3)  # all threads
            result["outbox"] = con.execute("select count(*) from notification_outbox").fetchone()[0]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mib"] = round(usage.ru_maxrss / 1024)
    result["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=Path("/tmp/konbini-notify-bench"))
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--phases", default="generate,first,day,again")
    ap.add_argument("--base", type=Path, default=None, help="copy DIR/warehouse.duckdb instead of generating")
    args = ap.parse_args()
    for phase in args.phases.split(","):
        # a fresh process per phase: its peak RSS is the phase's
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            job = pool.submit(_phase, phase, args.dir / "warehouse.duckdb", args.orders, args.base)
            result = job.result()
        print(f"{phase}: {json.dumps(result)}", flush=True)


if __name__ == "__main__":
    main()
