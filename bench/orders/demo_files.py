"""The demo month's order files: `.venv/bin/python -m bench.orders.demo_files`.

    [--data /work/bench-data/ingest/demo-month] [--rounds 3]

The month simulated by `bench.ingest.demo_month` (631 ORDERS files of ~3 rows, 9 ORDER_CANCELS;
kept in `--data`/sim, simulated there first if missing), with the load average beside each figure:
1. the ORDERS handler per file: the month's first 300 order files pulled (after the master load),
   then each of the next 150 handled in a transaction rolled back, `--rounds` times; CPU of the
   process (DuckDB's threads included) per file, its `prepare` done before (the pull runs it ahead
   on its parse thread);
2. the pull of the whole `orders` folder into an empty warehouse after the master load
   (`tasks.ingest.pull`): wall and CPU.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from bench.options import options
from tasks.clock import JST
from tasks.inbox import InboundFile, parse_name
from tasks.ingest import pull
from tasks.master import load_master
from tasks.orders import ingest_orders_file, prepare
from tasks.settings import Settings
from tasks.simulate import simulate
from tasks.warehouse import Warehouse

AS_OF = datetime(2026, 11, 30, 7, tzinfo=JST)
PULLED_FIRST, TIMED = 300, 150


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _pulled(sim: Path, work: Path, names: list[str]) -> tuple[Warehouse, Settings, float, float]:
    """A warehouse with the master and the named order files pulled; the pull's wall and CPU."""
    inbox = work / "inbox" / "orders"
    inbox.mkdir(parents=True)
    for name in names:
        shutil.copy(sim / "inbox" / "orders" / name, inbox / name)
    settings = Settings(data_dir=work / "data")
    warehouse = Warehouse(settings.warehouse_path)
    load_master(warehouse, sim / "master", datetime(2026, 9, 30, tzinfo=JST))
    started, cpu = time.perf_counter(), time.process_time()
    pull(warehouse, AS_OF, settings, str(work / "inbox"), retry_delays=())
    return warehouse, settings, time.perf_counter() - started, time.process_time() - cpu


def handler_per_file(sim: Path, rounds: int) -> None:
    names = sorted(p.name for p in (sim / "inbox" / "orders").iterdir() if p.name.startswith("ORDERS_"))
    with tempfile.TemporaryDirectory(prefix="konbini-bench-order-files-") as tmp:
        warehouse, settings, _, _ = _pulled(sim, Path(tmp), names[:PULLED_FIRST])
        files = [InboundFile(parse_name("orders", n), (sim / "inbox" / "orders" / n).read_bytes())
                 for n in names[PULLED_FIRST:PULLED_FIRST + TIMED]]
        for f in files:
            f.parsed = (lambda ready: lambda: ready)(prepare(f, settings))
        with warehouse.session() as con:
            for i in range(rounds):
                load, spent = _load(), []
                for f in files:
                    con.execute("begin")
                    cpu = time.process_time()
                    ingest_orders_file(con, f, AS_OF, settings)
                    spent.append(1000 * (time.process_time() - cpu))
                    con.execute("rollback")
                mean, median = statistics.fmean(spent), statistics.median(spent)
                print(f"ORDERS handler, round {i + 1}: {len(spent)} files, CPU a file mean {mean:.1f} ms,"
                      f" median {median:.1f} ms [load {load}]")


def whole_pull(sim: Path) -> None:
    names = sorted(p.name for p in (sim / "inbox" / "orders").iterdir())
    load = _load()
    with tempfile.TemporaryDirectory(prefix="konbini-bench-order-files-") as tmp:
        _, _, wall, cpu = _pulled(sim, Path(tmp), names)
    print(f"pull of the {len(names)} order files: {wall:.1f} s wall, {cpu:.1f} s CPU"
          f" ({1000 * cpu / len(names):.1f} ms a file) [load {load}]")


def main() -> None:
    args = options(data="/work/bench-data/ingest/demo-month", rounds=3)
    sim = Path(args.data) / "sim"
    if not sim.exists():
        simulate(sim, date(2026, 10, 1), 31, 60, 7, 4, settings=Settings(data_dir=sim.parent / "simdata"))
    handler_per_file(sim, args.rounds)
    whole_pull(sim)


if __name__ == "__main__":
    main()
