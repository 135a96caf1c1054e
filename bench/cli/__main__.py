"""The whole CLI benchmark of issue 14.5 in one command: `.venv/bin/python -m bench.cli`.

    .venv/bin/python -m bench.cli [--demo-runs 3] [--reconcile-runs 5] [--readonly-runs 9] [--code DIR]
                                  [--demo-data DIR]

Every command as a whole process (wall; CPU user+system and peak RSS of it and its children, from
wait4), several runs, median and spread, the load average at the start of each run beside it:
- README command 1 after install: `konbini demo` in a fresh data folder (`--demo-runs` times);
- `konbini reconcile --as-of 2026-11-20T07:00` on the spec's samples (bench/cli/commands.py);
- `konbini --help` and the read-only commands (bench/cli/readonly.py) on the last demo's warehouse
  (one unmeasured run first, to warm the file cache).
No PREFECT_API_URL in the environment, as in a user's shell. Prints one Markdown table for
docs/benchmarks.md (## CLI). `--code DIR` times another checkout (e.g. `git archive <commit> | tar
-x -C /tmp/before`). A figure is only comparable with one of a similar load average: on a shared
machine, rerun it when the machine is quiet.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.cli.commands import bench_demo, bench_reconcile, print_table, row
from bench.cli.readonly import measure


def bench_readonly(runs: int, code: Path | None, data: Path) -> list[str]:
    return [row(command, results, digits=2) for command, _, results in measure(data, {"": code}, runs)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo-runs", type=int, default=3)
    ap.add_argument("--reconcile-runs", type=int, default=5)
    ap.add_argument("--readonly-runs", type=int, default=9)
    ap.add_argument("--code", type=Path, help="run this checkout's code (PYTHONPATH)")
    ap.add_argument("--demo-data", type=Path,
                    help="a demo's data folder for the read-only commands (default: the last demo run here)")
    args = ap.parse_args()
    if args.readonly_runs and not (args.demo_runs or args.demo_data):
        ap.error("the read-only commands need a demo's warehouse: --demo-runs 1 or more, or --demo-data")
    with tempfile.TemporaryDirectory(prefix="konbini-bench-cli-") as tmp:
        work = Path(tmp)
        lines = []
        if args.demo_runs:
            demos = bench_demo(args.demo_runs, args.code, work, keep=work / "demo-kept")
            lines.append(row("`konbini demo` (fresh data folder)", demos))
        if args.reconcile_runs:
            reconciles = bench_reconcile(args.reconcile_runs, args.code, work)
            lines.append(row("`konbini reconcile` (samples)", reconciles))
        if args.readonly_runs:
            lines += bench_readonly(args.readonly_runs, args.code, args.demo_data or work / "demo-kept")
    print_table(lines)


if __name__ == "__main__":
    main()
