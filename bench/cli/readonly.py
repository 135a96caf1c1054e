"""Benchmark: latency of `konbini --help` and the read-only commands, as whole processes.

    .venv/bin/python -m bench.cli.readonly --data-dir DIR [--runs 9] [--merchant M000001 --month 2026-10]
                                           [--code before=/tmp/before --code after=/work/h-tidy]

Run it on a demo's warehouse (`konbini demo` first; the data folder DIR holds warehouse.duckdb).
Each command runs `--runs` times after one unmeasured run that warms the file cache, its output
thrown away; with several `--code LABEL=DIR` (each a checkout, run with PYTHONPATH=DIR) the codes
alternate run by run, so that they share the same machine load. Per command and code: median wall
time with its spread (fastest – slowest), median CPU time (user + system, wait4) and peak memory,
with the load average at the start of the runs. Goal (issue 14.5): under 1 s each. Results go to
docs/benchmarks.md (## CLI). Run it from outside the checkouts (e.g. `cd /tmp`): Python puts the
current folder before PYTHONPATH.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from bench.cli.commands import KONBINI, Run, environment, timed


def commands(merchant: str, month: str) -> list[list[str]]:
    return [
        ["--help"],
        ["files"],
        ["exceptions", "list"],
        ["calendar", "--merchant", merchant, "--month", month],
        ["notifications", "list"],
    ]


def measure(data: Path, codes: dict[str, Path | None], runs: int, merchant: str = "M000001",
            month: str = "2026-10") -> list[tuple[str, str, list[Run]]]:
    """(command, code label, runs) for every read-only command and code, the codes alternating."""
    if not (data / "warehouse.duckdb").is_file():
        sys.exit(f"no warehouse in {data}: run `konbini demo` there first")
    envs = {label: {**environment(data, code), "COLUMNS": "200"} for label, code in codes.items()}
    results = []
    for args in commands(merchant, month):
        for env in envs.values():
            timed([KONBINI, *args], env)  # warm the file cache
        got: dict[str, list[Run]] = {label: [] for label in envs}
        for _ in range(runs):
            for label, env in envs.items():
                got[label].append(timed([KONBINI, *args], env))
        for label, done in got.items():
            results.append((f"`konbini {' '.join(args)}`", label, done))
            print(_line(*results[-1]), file=sys.stderr, flush=True)
    return results


def _line(command: str, label: str, runs: list[Run]) -> str:
    walls = sorted(r.wall for r in runs)
    loads = [float(r.load.split()[0]) for r in runs]
    return (f"| {command} | {label} | {statistics.median(walls):.2f} ({walls[0]:.2f} – {walls[-1]:.2f}) "
            f"| {statistics.median(r.cpu for r in runs):.2f} | {max(r.rss_mb for r in runs):.0f} "
            f"| {min(loads):.1f}–{max(loads):.1f} |")


def _code(text: str) -> tuple[str, Path]:
    label, sep, folder = text.partition("=")
    if not sep or not Path(folder, "flows", "cli.py").is_file():
        raise argparse.ArgumentTypeError(f"{text!r}: give LABEL=DIR, DIR a konbini checkout")
    return label, Path(folder).resolve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="the demo's data folder")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--merchant", default="M000001")
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--code", type=_code, action="append", default=[],
                        help="LABEL=DIR: time this checkout's code (repeat to compare, runs alternate)")
    opts = parser.parse_args()
    codes: dict[str, Path | None] = dict(opts.code) or {"installed": None}
    print(f"{opts.runs} runs each on {opts.data_dir}; {KONBINI}; codes: "
          + ", ".join(f"{label}={code or 'installed'}" for label, code in codes.items()) + "\n")
    print("| command | code | median wall s (fastest – slowest) | median CPU s | peak RSS MiB "
          "| load average at start (min–max) |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for result in measure(opts.data_dir, codes, opts.runs, opts.merchant, opts.month):
        print(_line(*result), flush=True)


if __name__ == "__main__":
    main()
