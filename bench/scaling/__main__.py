"""Prefect on PostgreSQL with workers: `.venv/bin/python -m bench.scaling [--runs 5] [--queued 6]`.

The recipe of docs/scaling.md (step 1) on this machine, as tests/service/test_postgres_workers.py
runs it: a throw-away PostgreSQL cluster, `prefect server start` on it, the two pools, `konbini
deploy`, the writer worker (`--limit 1`) on a data folder with the spec's samples. Times:
- the cluster's start (initdb, start, createdb) and the server's, until /api/health answers;
- the pools and `konbini deploy`; the writer worker until it is online;
- `--runs` `reconcile` runs one after the other on the worker: creation to Completed, and creation
  to the start of the flow (the pick-up by the worker and the flow run's process start);
- `--queued` `reconcile` runs created at once: they run one at a time (the writer); runs a minute.
Prints a Markdown table with the load average beside each figure.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.scaling import cluster
from flows.serve import PARSE_POOL, WRITER_POOL

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "samples"
AS_OF = "2026-11-10T07:00:00+09:00"


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _timed(rows: list, what: str, fn):
    load, t0 = _load(), time.monotonic()
    result = fn()
    rows.append((what, f"{time.monotonic() - t0:.1f} s", f"{load} → {_load()}"))
    return result


def _run(url: str, deployment_id: str) -> str:
    return cluster.api(url, "POST", f"/deployments/{deployment_id}/create_flow_run",
                       {"parameters": {"as_of": AS_OF}})["id"]


def _completed(url: str, run_id: str) -> dict:
    run = cluster.wait_final(url, run_id, timeout=600)
    if run["state"]["type"] != "COMPLETED":
        raise RuntimeError(f"run {run_id} ended {run['state']}")
    return run


def _seconds(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


def _measure(url: str, env: dict, work: Path, args, rows: list) -> None:
    data = work / "data"
    shutil.copytree(SAMPLES / "inbox", data / "inbox")
    direct = {k: v for k, v in env.items() if k != "PREFECT_API_URL"} | {"KONBINI_DATA_DIR": str(data)}
    subprocess.run([cluster.KONBINI, "master", "load", str(SAMPLES / "master"), "--as-of", "2026-10-01"],
                   env=direct, check=True, capture_output=True)

    def pools_and_deploy() -> None:
        cluster.prefect(env, "work-pool", "create", WRITER_POOL, "--type", "process")
        cluster.prefect(env, "work-pool", "set-concurrency-limit", WRITER_POOL, "1")
        cluster.prefect(env, "work-pool", "create", PARSE_POOL, "--type", "process")
        subprocess.run([cluster.KONBINI, "deploy", "--work-pool", WRITER_POOL, "--parse-pool", PARSE_POOL],
                       env=env, check=True, capture_output=True)

    _timed(rows, "create the two pools, `konbini deploy` (4 commands)", pools_and_deploy)
    found = {d["name"]: d for d in cluster.api(url, "POST", "/deployments/filter", {})}
    for d in found.values():
        cluster.api(url, "PATCH", f"/deployments/{d['id']}", {"paused": True})
    rec = found["reconcile"]["id"]

    wenv = cluster.client_env(url, work / "worker_home", data)
    worker = cluster.start_worker(wenv, WRITER_POOL, "writer", work / "worker.log", limit=1)
    try:
        query = {"workers": {"status": {"any_": ["ONLINE"]}}}
        _timed(rows, "`prefect worker start` until online", lambda: cluster.until(
            lambda: cluster.api(url, "POST", f"/work_pools/{WRITER_POOL}/workers/filter", query)))
        _completed(url, _run(url, found["pull-feeds"]["id"]))  # the samples pulled: reconcile has work

        load = _load()
        total, pickup = [], []
        for _ in range(args.runs):
            t0 = time.monotonic()
            run = _completed(url, _run(url, rec))
            total.append(time.monotonic() - t0)
            pickup.append(_seconds(run["created"], run["start_time"]))
        rows.append((f"a `reconcile` run on the worker, created → Completed (median of {args.runs}; "
                     f"min–max)", f"{statistics.median(total):.1f} s ({min(total):.1f}–{max(total):.1f})",
                     f"{load} → {_load()}"))
        rows.append(("… of which created → flow started (pick-up and process start)",
                     f"{statistics.median(pickup):.1f} s ({min(pickup):.1f}–{max(pickup):.1f})", ""))

        load, t0 = _load(), time.monotonic()
        ids = [_run(url, rec) for _ in range(args.queued)]
        runs = [_completed(url, i) for i in ids]
        took = time.monotonic() - t0
        spans = sorted((r["start_time"], r["end_time"]) for r in runs)
        overlap = any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))
        rows.append((f"{args.queued} `reconcile` runs queued at once, until all Completed "
                     f"({'OVERLAP' if overlap else 'one at a time'})",
                     f"{took:.1f} s = {60 * args.queued / took:.1f} runs a minute", f"{load} → {_load()}"))
    finally:
        cluster.stop(worker)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--queued", type=int, default=6)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_scaling_"))
    rows: list[tuple[str, str, str]] = []
    try:
        pg = _timed(rows, "PostgreSQL: initdb, start, createdb", lambda: cluster.Postgres().__enter__())
        try:
            load = _load()
            server, url, took = cluster.start_server(work / "server", pg.url())
            rows.append(("`prefect server start` on PostgreSQL until /api/health answers", f"{took:.1f} s",
                         f"{load} → {_load()}"))
            try:
                _measure(url, cluster.client_env(url, work / "client"), work, args, rows)
            finally:
                cluster.stop(server)
        finally:
            pg.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{platform.node()}, {platform.python_version()}, load average (1 min) before → after\n")
    print("| what | measured | load |\n| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
