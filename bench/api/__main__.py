"""Sustained order registrations over HTTP: `python -m bench.api [--seconds 20] [--connections 32]
[--workers 1]`.

A fresh data folder with the spec's sample master (loaded and published), one API key, uvicorn in
its own process(es) on 127.0.0.1, and a lean keep-alive HTTP/1.1 client (asyncio streams: the
client shares the machine's 2 cores with the server, so it must cost little). Each connection
POSTs new orders back to back for the given time; the bench prints orders/s and latency
percentiles. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MASTER = REPO.parent / "shared" / "spec" / "samples" / "master"


def _prepare(data: Path) -> str:
    os.environ["KONBINI_DATA_DIR"] = str(data)
    from tasks.api_orders.keys import create
    from tasks.api_orders.store import open_store
    from tasks.clock import JST
    from tasks.master import load_master
    from tasks.settings import get_settings
    from tasks.warehouse import open_warehouse

    settings = get_settings()
    warehouse = open_warehouse(settings)
    at = datetime(2026, 11, 2, 9, tzinfo=JST)
    with warehouse.session() as con:
        load_master(con, MASTER, at)
    warehouse.publish()
    return create(open_store(settings), "M000001", at)[1]


def _body(i: int, today: str, due: str) -> bytes:
    return json.dumps({
        "site_id": "S000001", "order_id": f"B-{i}", "chain": ("seven", "lawson", "famima")[i % 3],
        "amount": 3980, "tax_mode": "taxable", "tax_amount": 361, "ordered_at": f"{today}T10:00:00+09:00",
        "due_date": due, "customer_name_kana": "ヤマダ　タロウ", "customer_phone": "0312345678",
        "customer_email": "taro@example.jp"}).encode()


async def _connection(port: int, key: str, start: int, stop_at: float, latencies: list[float],
                      statuses: dict[int, int], stride: int) -> None:
    from tasks import clock

    today = clock.now().date()
    due = str(today.fromordinal(today.toordinal() + 7))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = start
    while time.monotonic() < stop_at:
        body = _body(i, str(today), due)
        head = (f"POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        t0 = time.perf_counter()
        writer.write(head + body)
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - t0)
        status = int(status_line.split()[1])
        statuses[status] = statuses.get(status, 0) + 1
        i += stride
    writer.close()


async def _load(port: int, key: str, seconds: float, connections: int,
                first: int = 0) -> tuple[list[float], dict, float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    t0 = time.monotonic()
    stop_at = t0 + seconds
    await asyncio.gather(*(_connection(port, key, first + c, stop_at, latencies, statuses, connections)
                           for c in range(connections)))
    return latencies, statuses, time.monotonic() - t0


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the server process and its worker processes so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    return [int(k) for k in kids] + [g for k in kids for g in _children(int(k))]


def _serve(data: Path, workers: int) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, KONBINI_DATA_DIR=str(data), PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        env=env, cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("uvicorn did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--warmup", type=float, default=3)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        key = _prepare(data)
        proc, port = _serve(data, args.workers)
        try:
            asyncio.run(_load(port, key, args.warmup, 4, first=10**8))  # warm-up: imports, first batches
            cpu0, client0 = _cpu_seconds(proc.pid), time.process_time()
            latencies, statuses, elapsed = asyncio.run(_load(port, key, args.seconds, args.connections))
            cpu, client = _cpu_seconds(proc.pid) - cpu0, time.process_time() - client0
        finally:
            proc.terminate()
            proc.wait(30)
        ms = sorted(x * 1000 for x in latencies)
        q = statistics.quantiles(ms, n=100)
        print(f"{len(ms)} requests in {elapsed:.1f} s: {len(ms) / elapsed:.0f} orders/s "
              f"({args.connections} connections, {args.workers} worker(s)); statuses {statuses}")
        print(f"latency ms: p50 {q[49]:.1f}  p95 {q[94]:.1f}  p99 {q[98]:.1f}  max {ms[-1]:.1f}")
        print(f"CPU per order: server {cpu / len(ms) * 1000:.2f} ms, client {client / len(ms) * 1000:.2f} ms "
              f"(server busy {cpu / elapsed:.2f} cores of {os.cpu_count()})")
        print("loadavg:", Path("/proc/loadavg").read_text().strip())
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
