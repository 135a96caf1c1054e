"""Benchmark: rendering the demo month's reports (245 PDFs + CSVs) in one process, CPU time.

    .venv/bin/python -m bench.reports.demo_month [--jobs /work/bench-data/demo/jobs.pickle]
                                                 [--textcache 1] [--stylecache 1]
                                                 [--limit 0] [--repeat 1]

The jobs are the ReportJobs `konbini demo` hands to its render pool, kept once by
bench/reports/demo_jobs.py (it runs the demo in its own process and pickles them; ~5 min).

Renders every job (or the first `--limit`) `--repeat` times with `render_job` in this process
(the pool's workers do the same), `--textcache 0` without remembering measured text
(tasks/render/textcache.py), `--stylecache 0` without remembering computed styles
(tasks/render/stylecache.py). Prints the CPU seconds (process time, after imports and the font
are loaded), wall seconds, load average, and one sha256 over every PDF and CSV: two runs that
print the same digest wrote the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from pathlib import Path

from bench.options import options
from tasks.render import stylecache, textcache
from tasks.render.jobs import render_job
from tasks.render.pdf import _fonts_and_style

DEFAULT_JOBS = "/work/bench-data/demo/jobs.pickle"


def main() -> None:
    args = options(jobs=DEFAULT_JOBS, textcache=1, stylecache=1, limit=0, repeat=1)
    if not Path(args.jobs).is_file():
        raise SystemExit(f"no report jobs at {args.jobs}: keep them first with "
                         f"`python -m bench.reports.demo_jobs {args.jobs}`")
    with open(args.jobs, "rb") as fh:
        jobs = pickle.load(fh)
    if args.limit:
        jobs = jobs[: args.limit]
    _fonts_and_style()  # imports, fonts and base.css once, as a pool worker's warm-up does
    if not args.textcache:
        textcache.uninstall()
    if not args.stylecache:
        stylecache.uninstall()
    digest = hashlib.sha256()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    with tempfile.TemporaryDirectory(prefix="bench-demo-month-") as tmp:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(args.repeat):
            for job in jobs:
                r = render_job(job, Path(tmp))
                digest.update(f"{r.report_id} {r.pdf_sha256} {r.csv_sha256}\n".encode())
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    hits, misses = textcache.stats()
    print(f"{len(jobs)} reports x {args.repeat}, textcache {'on' if args.textcache else 'off'}, "
          f"stylecache {'on' if args.stylecache else 'off'}: "
          f"CPU {cpu:.1f} s ({cpu / len(jobs) / args.repeat:.3f} s each), wall {wall:.1f} s, "
          f"load {load} -> {' '.join(Path('/proc/loadavg').read_text().split()[:3])}, "
          f"text measured {misses}, remembered {hits}, pid {os.getpid()}")
    print(f"outputs sha256 {digest.hexdigest()}")


if __name__ == "__main__":
    main()
