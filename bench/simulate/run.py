"""Benchmark: simulate 30 days of 20,000 orders a day (the scale the simulator must handle).

    .venv/bin/python -m bench.simulate.run [--days 30] [--orders-per-day 20000] [--seed 7]

Prints wall and CPU time, files and records written, and the share spent rendering the feed files
(the feed modules' writers). Results go to docs/benchmarks.md (## Simulator).
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.options import options
from tasks.settings import Settings
from tasks.simulate import deliver, simulate


def main() -> None:
    args = options(days=30, orders_per_day=20000, seed=7)
    root = Path(tempfile.mkdtemp(prefix="bench-simulate-"))
    render_cpu = 0.0
    original = deliver.Renderer.content

    def timed(self, f):  # measure the writers' share without changing them
        nonlocal render_cpu
        t = time.process_time()
        try:
            return original(self, f)
        finally:
            render_cpu += time.process_time() - t

    deliver.Renderer.content = timed
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        s = simulate(root / "out", date(2026, 11, 2), args.days, args.orders_per_day, args.seed,
                     settings=Settings(data_dir=root))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        deliver.Renderer.content = original
        size = sum(p.stat().st_size for p in (root / "out").rglob("*") if p.is_file())
        shutil.rmtree(root)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.days} days x {args.orders_per_day} orders: {s.order_rows} order rows, "
          f"{sum(s.files.values())} files, {sum(s.records.values())} feed records, {size / 1e6:.0f} MB")
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s (feed writers {render_cpu:.1f} s), peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
