"""The demo's pull cost: `.venv/bin/python -m bench.ingest.demo_month [--data DIR]`.

The demo's month of files (`simulate` from 2026-10-01, 31 days, 60 orders a day, 4 merchants,
seed 7: ~2,230 small files, orders and the chains' and bank's feeds), simulated once into
`--data` (default /work/bench-data/ingest/demo-month/, kept), then pulled in one go into an empty
warehouse after the master load (not timed): wall and CPU of `tasks.ingest.pull`, with the load
average. The demo pulls the same files one morning at a time (issue 14.2).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from tasks.clock import JST
from tasks.ingest import pull
from tasks.master import load_master
from tasks.settings import Settings
from tasks.simulate import simulate
from tasks.warehouse import Warehouse

DATA = Path("/work/bench-data/ingest/demo-month")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="where the simulated month is kept")
    args = parser.parse_args()
    sim = args.data / "sim"
    if not sim.exists():
        simulate(sim, date(2026, 10, 1), 31, 60, 7, 4, settings=Settings(data_dir=args.data / "simdata"))
    with tempfile.TemporaryDirectory(prefix="konbini-bench-demo-pull-") as tmp:
        work = Path(tmp)
        shutil.copytree(sim / "inbox", work / "inbox")
        settings = Settings(data_dir=work / "data")
        warehouse = Warehouse(settings.warehouse_path)
        load_master(warehouse, sim / "master", datetime(2026, 9, 30, tzinfo=JST))
        started, cpu = time.perf_counter(), time.process_time()
        outcomes = pull(warehouse, datetime(2026, 11, 30, 7, tzinfo=JST), settings, str(work / "inbox"),
                        retry_delays=())
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{len(outcomes):,} files: {wall:.1f} s wall, {cpu:.1f} s CPU"
          f" ({1000 * cpu / len(outcomes):.1f} ms a file)  [load {load}]")
    print("  " + ", ".join(f"{k} {n}" for k, n in sorted(Counter(o.kind for o in outcomes).items())))
    print("  " + ", ".join(f"{k} {n}" for k, n in sorted(Counter(o.state for o in outcomes).items())))


if __name__ == "__main__":
    main()
