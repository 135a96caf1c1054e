"""Benchmark: latency of `konbini --help` and the read-only commands, as whole processes.

    .venv/bin/python -m bench.cli.readonly --data-dir data [--runs 9] [--merchant M000001 --month 2026-10]

Run it on the demo's warehouse (`konbini demo` first). Each command runs `--runs` times (after one
unmeasured run that warms the file cache) under `/usr/bin/time`, its output thrown away; the
table gives the median wall time, its spread (fastest and slowest run), the median CPU time
(user + system) and the peak memory, with the load average before and after. Goal (issue 14.5):
under 1 s each. Results go to docs/benchmarks.md (## CLI).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TIME = "/usr/bin/time"


def commands(merchant: str, month: str) -> list[list[str]]:
    return [
        ["--help"],
        ["files"],
        ["exceptions", "list"],
        ["calendar", "--merchant", merchant, "--month", month],
        ["notifications", "list"],
    ]


def run_once(konbini: str, args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, user + system s, peak RSS KiB) of one whole `konbini` process."""
    with tempfile.NamedTemporaryFile("r") as report:
        done = subprocess.run([TIME, "-o", report.name, "-f", "%e %U %S %M", konbini, *args],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            sys.exit(f"konbini {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
        wall, user, system, rss = report.read().split()[-4:]
    return float(wall), float(user) + float(system), int(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="the demo's data folder")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--merchant", default="M000001")
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--konbini", default=str(Path(sys.executable).with_name("konbini")))
    opts = parser.parse_args()
    if not shutil.which(TIME):
        sys.exit(f"{TIME} is missing (Debian package `time`)")
    if not (opts.data_dir / "warehouse.duckdb").is_file():
        sys.exit(f"no warehouse in {opts.data_dir}: run `konbini demo` first")
    env = {**os.environ, "KONBINI_DATA_DIR": str(opts.data_dir), "COLUMNS": "200"}

    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(f"{opts.runs} runs each, {opts.konbini}\n")
    print("| command | median wall s | fastest – slowest s | median CPU s | peak RSS MiB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for args in commands(opts.merchant, opts.month):
        run_once(opts.konbini, args, env)  # warm the file cache
        runs = [run_once(opts.konbini, args, env) for _ in range(opts.runs)]
        walls = sorted(r[0] for r in runs)
        cpu, rss = statistics.median(r[1] for r in runs), max(r[2] for r in runs) / 1024
        print(f"| `konbini {' '.join(args)}` | {statistics.median(walls):.2f} "
              f"| {walls[0]:.2f} – {walls[-1]:.2f} | {cpu:.2f} | {rss:.0f} |", flush=True)
    print(f"\nload average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
