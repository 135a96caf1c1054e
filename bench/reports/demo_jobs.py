"""Keep the reports `konbini demo` renders: run the demo in this process and pickle every ReportJob
it hands to its render pool (the data set of bench/reports/demo_month.py; ~5 minutes idle).

    KONBINI_DATA_DIR=/tmp/demo-jobs .venv/bin/python -m bench.reports.demo_jobs \\
        /work/bench-data/demo/jobs.pickle

The data folder must be empty (or absent); the jobs are those of `konbini demo` with its default
seed and month, so the same file serves every later run.
"""

from __future__ import annotations

import pickle
import sys


def main() -> None:
    import tasks.render.jobs as jobs_module
    from flows.cli import main as konbini

    out = sys.argv[1]
    captured = []
    original = jobs_module.submit

    def submit(executor, jobs, *args):
        captured.extend(jobs)
        return original(executor, jobs, *args)

    jobs_module.submit = submit
    sys.argv = ["konbini", "demo"]
    try:
        konbini()
    finally:
        with open(out, "wb") as fh:
            pickle.dump(captured, fh)
        print(f"kept {len(captured)} report jobs in {out}", file=sys.stderr)


if __name__ == "__main__":  # the spawned render workers import this module too
    main()
