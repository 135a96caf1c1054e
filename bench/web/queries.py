"""Where a page's time goes: the benchmark's pages called in-process (no HTTP, no session), each
query timed alone, wall and CPU (user+sys of this process), median over a few runs.

    PYTHONPATH=. python -m bench.web.queries [--data /work/bench-data/web/data] [--runs 20]

Run it on the data set of `python -m bench.web` (it reads the published copies only).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from tasks.portal.home import home
from tasks.portal.orders import Search, detail, search
from tasks.portal.published import Reader
from tasks.portal.trend import daily
from tasks.settings import Settings

MERCHANT = "M000001"


def timed(fn, runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `fn()` over `runs` calls."""
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("/work/bench-data/web/data"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--orders", type=int, default=10_000_000)
    a = ap.parse_args()
    con = Reader(Settings(data_dir=a.data)).cursor()
    rnd = random.Random(1)
    ids = [f"O{3 * rnd.randrange(a.orders // 3):010d}" for _ in range(a.runs)]
    day = date(2026, 3, 10)
    cases = {
        "ホーム": lambda: home(con, MERCHANT, date(2026, 11, 29)),
        "日次推移 (12 months)": lambda: daily(con, MERCHANT, date(2025, 12, 1), date(2026, 11, 30)),
        "収納状況 by order id": lambda: search(con, MERCHANT, Search(order_id=rnd.choice(ids))),
        "収納状況 by 7 days": lambda: search(con, MERCHANT, Search(ordered_from=day,
                                                                  ordered_to=day + timedelta(days=6))),
        "注文詳細": lambda: detail(con, MERCHANT, rnd.choice(ids)),
    }
    for name, fn in cases.items():
        fn()  # warm: the first call reads the blocks from disk
        wall, cpu = timed(fn, a.runs)
        print(f"{name}: median {wall:.1f} ms wall, {cpu:.1f} ms CPU ({a.runs} runs)")
    print("loadavg:", Path("/proc/loadavg").read_text().strip())


if __name__ == "__main__":
    main()
