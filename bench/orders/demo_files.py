"""The demo month's order files through the pull: `.venv/bin/python -m bench.orders.demo_files`.

    [--data /work/bench-data/ingest/demo-month] [--runs 1]

The month simulated by `bench.ingest.demo_month` (631 ORDERS files of ~3 rows, 9 ORDER_CANCELS;
kept in `--data`/sim, simulated there first if missing) pulled alone, its `orders` folder only,
into an empty warehouse after the master load (not timed), by `tasks.ingest.pull`: wall and CPU of
the pull, and the writer thread's CPU in the ORDERS handler per file, with the load average.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import tasks.inbox_kinds as kinds
from bench.options import options
from tasks.clock import JST
from tasks.ingest import pull
from tasks.master import load_master
from tasks.settings import Settings
from tasks.simulate import simulate
from tasks.warehouse import Warehouse


def _timed_orders_handler(spent: list[float]) -> None:
    """The ORDERS handler as declared, with its thread's CPU per file appended to `spent`."""
    kind = kinds.BY_KIND["ORDERS"]
    handler = kind.handler

    def timed(con, f, as_of, settings):
        cpu = time.thread_time()
        try:
            return handler(con, f, as_of, settings)
        finally:
            spent.append(time.thread_time() - cpu)

    kinds.BY_KIND["ORDERS"] = dataclasses.replace(kind, handler=timed)


def run(sim: Path, spent: list[float]) -> tuple[int, float, float]:
    with tempfile.TemporaryDirectory(prefix="konbini-bench-order-files-") as tmp:
        work = Path(tmp)
        shutil.copytree(sim / "inbox" / "orders", work / "inbox" / "orders")
        settings = Settings(data_dir=work / "data")
        warehouse = Warehouse(settings.warehouse_path)
        load_master(warehouse, sim / "master", datetime(2026, 9, 30, tzinfo=JST))
        started, cpu = time.perf_counter(), time.process_time()
        outcomes = pull(warehouse, datetime(2026, 11, 30, 7, tzinfo=JST), settings, str(work / "inbox"),
                        retry_delays=())
        return len(outcomes), time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    args = options(data="/work/bench-data/ingest/demo-month", runs=1)
    sim = Path(args.data) / "sim"
    if not sim.exists():
        simulate(sim, date(2026, 10, 1), 31, 60, 7, 4, settings=Settings(data_dir=sim.parent / "simdata"))
    spent: list[float] = []
    _timed_orders_handler(spent)
    for _ in range(args.runs):
        spent.clear()
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        files, wall, cpu = run(sim, spent)
        ms = sorted(1000 * s for s in spent)
        print(f"{files} order files pulled: {wall:.2f} s wall, {cpu:.2f} s CPU [load {load}]; ORDERS handler"
              f" (writer thread CPU, {len(ms)} files): mean {statistics.fmean(ms):.1f} ms, median"
              f" {statistics.median(ms):.1f} ms, p90 {ms[int(0.9 * len(ms))]:.1f} ms")


if __name__ == "__main__":
    main()
