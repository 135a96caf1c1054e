"""Commands that do work, timed as whole processes: `.venv/bin/python -m bench.cli.commands`.

- `demo`: README command 1 after install, i.e. `konbini demo` in a fresh data folder;
- `reconcile`: `konbini reconcile --as-of 2026-11-20T07:00` on the spec's samples (master loaded and
  inbox pulled once beforehand, in the same folder for every run).

Each process's wall time, CPU time (user + system, its children included: render workers, a
temporary Prefect server) and peak RSS come from wait4(2). Prints a Markdown table with the median
and the spread (min–max) of several runs and the load average around them, for docs/benchmarks.md.
`--code DIR` runs another checkout's code (PYTHONPATH=DIR), e.g. the commit before a change:
`git archive <commit> | tar -x -C /tmp/before` then `--code /tmp/before`. Without PREFECT_API_URL
in the environment the commands run as one-off processes (no Prefect server), as a user's would.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "spec" / "samples"
KONBINI = str(Path(sys.executable).parent / "konbini")


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    load: str


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed(args: list[str], env: dict[str, str]) -> Run:
    """Run one process to its end; wall, CPU and peak RSS (wait4 counts the descendants it reaped)."""
    load = _loadavg()
    t0 = time.monotonic()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{err[-3000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, f"{load} → {_loadavg()}")


def environment(data_dir: Path, code: Path | None) -> dict[str, str]:
    env = {**os.environ, "KONBINI_DATA_DIR": str(data_dir), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1"}
    for var in ("KONBINI_INBOX", "KONBINI_WAREHOUSE", "KONBINI_CONFIG"):
        env.pop(var, None)
    if code:
        env["PYTHONPATH"] = str(code)
    return env


def bench_demo(runs: int, code: Path | None, work: Path, keep: Path | None = None) -> list[Run]:
    """`runs` demos, each in a fresh data folder; the last one's folder is moved to `keep` if given."""
    results = []
    for i in range(runs):
        data = work / f"demo{i}"
        results.append(timed([KONBINI, "demo"], environment(data, code)))
        if keep and i == runs - 1:
            data.rename(keep)
        shutil.rmtree(data, ignore_errors=True)
        print(f"demo run {i + 1}: {results[-1]}", file=sys.stderr)
    return results


def bench_reconcile(runs: int, code: Path | None, work: Path) -> list[Run]:
    data = work / "samples"
    shutil.copytree(SAMPLES / "inbox", data / "inbox")
    env = environment(data, code)
    for args in (["master", "load", str(SAMPLES / "master"), "--as-of", "2026-11-01T00:00"],
                 ["ingest", "--as-of", "2026-11-20T07:00"]):
        subprocess.run([KONBINI, *args], env=env, check=True, capture_output=True)
    results = []
    for i in range(runs):
        results.append(timed([KONBINI, "reconcile", "--as-of", "2026-11-20T07:00"], env))
        print(f"reconcile run {i + 1}: {results[-1]}", file=sys.stderr)
    return results


def row(what: str, results: list[Run], digits: int = 1) -> str:
    def spread(values: list[float], unit: str) -> str:
        d = digits
        return f"{statistics.median(values):.{d}f} {unit} ({min(values):.{d}f}–{max(values):.{d}f})"

    loads = [float(r.load.split()[0]) for r in results]
    return (f"| {what} | {len(results)} | {spread([r.wall for r in results], 's')} | "
            f"{spread([r.cpu for r in results], 's')} | {max(r.rss_mb for r in results):.0f} MB | "
            f"{min(loads):.1f}–{max(loads):.1f} |")


def print_table(lines: list[str]) -> None:
    print("| command | runs | wall, median (min–max) | CPU user+sys, median (min–max) | peak RSS "
          "| load average at start (min–max) |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo-runs", type=int, default=3)
    ap.add_argument("--reconcile-runs", type=int, default=5)
    ap.add_argument("--code", type=Path, help="run this checkout's code (PYTHONPATH)")
    ap.add_argument("--label", default="", help="a word for the table's first column, e.g. before")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="konbini-bench-cli-") as tmp:
        work = Path(tmp)
        lines = []
        if args.reconcile_runs:
            lines.append(row(f"{args.label} `konbini reconcile` (samples)".strip(),
                             bench_reconcile(args.reconcile_runs, args.code, work)))
        if args.demo_runs:
            lines.append(row(f"{args.label} `konbini demo`".strip(),
                             bench_demo(args.demo_runs, args.code, work)))
    print_table(lines)


if __name__ == "__main__":
    main()
