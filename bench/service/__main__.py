"""Orchestration overhead: `.venv/bin/python -m bench.service [--runs 5]`.

Starts a real Prefect server (own PREFECT_HOME in a temporary folder, a free port), loads the spec's
sample master data and inbox into a temporary data folder, starts `konbini serve`, and times:
- the server's start until /api/health answers;
- `konbini serve` until all its deployments are registered;
- a `pull-feeds` run on the sample inbox, from creation (the UI's Quick run) to Completed;
- `--runs` `reconcile` runs one after the other, creation to Completed (median, min, max);
- two `reconcile` runs created at once (they take turns on the warehouse lock): until both completed.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.scaling.cluster import free_port as _free_port
from bench.scaling.cluster import until as _until
from flows.serve import SCHEDULE
from tests.service.prefect_api import api as _api

BIN = Path(sys.executable).parent
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "samples"


def _completed(url: str, run_id: str) -> bool:
    state = _api(url, "GET", f"/flow_runs/{run_id}")["state"]["type"]
    if state in ("FAILED", "CRASHED", "CANCELLED"):
        raise RuntimeError(f"run {run_id} ended {state}")
    return state == "COMPLETED"


def _run(url: str, deployment_id: str, params: dict | None = None) -> str:
    return _api(url, "POST", f"/deployments/{deployment_id}/create_flow_run",
                {"parameters": params or {}})["id"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_service_"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1", "PREFECT_UI_ENABLED": "false", "KONBINI_DATA_DIR": str(work / "data"),
           "PREFECT_API_URL": url, "PREFECT_LOGGING_LEVEL": "WARNING"}
    shutil.copytree(SAMPLES / "inbox", work / "data" / "inbox")
    procs: list[subprocess.Popen] = []
    rows: list[tuple[str, str]] = []
    try:
        t0 = time.monotonic()
        server_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
        procs.append(subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                                       "--port", str(port)], env=server_env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))

        def healthy() -> bool:
            try:
                return httpx.get(f"{url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _until(healthy)
        rows.append(("Prefect server start until /api/health", f"{time.monotonic() - t0:.1f} s"))
        subprocess.run([str(BIN / "konbini"), "master", "load", str(SAMPLES / "master"),
                        "--as-of", "2026-11-01"], env=env, check=True, capture_output=True)

        t0 = time.monotonic()
        # Prefect's default polling (every 10 s): what an operator's Quick run waits for too.
        procs.append(subprocess.Popen([str(BIN / "konbini"), "serve"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
        found: dict[str, str] = {}

        def registered() -> bool:
            found.update({d["name"]: d["id"] for d in _api(url, "POST", "/deployments/filter", {})})
            return len(found) >= len(SCHEDULE)

        _until(registered)
        rows.append((f"`konbini serve` until its {len(found)} deployments are registered",
                     f"{time.monotonic() - t0:.1f} s"))
        for d in found.values():  # no scheduled run competes with the measured ones
            _api(url, "PATCH", f"/deployments/{d}", {"paused": True})

        run = _run(url, found["pull-feeds"], {"as_of": "2026-11-10T09:00:00+09:00"})
        rows.append(("`pull-feeds` run on the sample inbox (7 files), created → Completed",
                     f"{_until(lambda: _completed(url, run)):.1f} s"))

        times = []
        for _ in range(args.runs):
            run = _run(url, found["reconcile"], {"as_of": "2026-11-20T00:00:00+09:00"})
            times.append(_until(lambda r=run: _completed(url, r)))
        rows.append((f"`reconcile` run (sample data), created → Completed, {args.runs} runs",
                     f"median {statistics.median(times):.1f} s (min {min(times):.1f}, max {max(times):.1f})"))

        t0 = time.monotonic()
        both = [_run(url, found["reconcile"], {"as_of": "2026-11-20T00:00:00+09:00"}) for _ in range(2)]
        _until(lambda: all(_completed(url, r) for r in both))
        rows.append(("two `reconcile` runs created at once (enqueued: one after the other)",
                     f"{time.monotonic() - t0:.1f} s for both"))
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.1f} at the end; Python {platform.python_version()}")
    print("| what | measured |\n| --- | --- |")
    for what, value in rows:
        print(f"| {what} | {value} |")


if __name__ == "__main__":
    main()
