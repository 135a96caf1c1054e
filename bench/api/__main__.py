"""Sustained order registrations over HTTP: `python -m bench.api [--seconds 20] [--connections 32]
[--workers 1] [--rate N] [--server-code DIR] [--overlap] [--trace]`.

A fresh data folder with the spec's sample master (loaded and published), one API key, uvicorn in
its own process(es) on 127.0.0.1, and a lean keep-alive HTTP/1.1 client (asyncio streams: the
client shares the machine's 2 cores with the server, so it must cost little). Each connection
POSTs new orders back to back for the given time (closed loop: the latency then grows with the
connections); with `--rate N` the orders are sent at N per second whatever the answers (open loop,
on up to `--connections` connections; an order's latency counts from its scheduled time, so a
server that falls behind is not excused by a client that waited). The bench prints orders/s and
latency percentiles. `--server-code DIR` serves another checkout's code (e.g. /work/main, to compare
before and after with the same client). `--trace` (one worker) serves through bench/api/traced.py
and says what the slowest requests overlapped on the server (bench/api/stalls.py: garbage
collections, long batches, a late event loop). Loopback only; bounded in time.
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

from bench.api import stalls

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


async def _post(reader, writer, key: str, body: bytes, statuses: dict[int, int]) -> None:
    head = (f"POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    writer.write(head + body)
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    status = int(status_line.split()[1])
    statuses[status] = statuses.get(status, 0) + 1


def _dates() -> tuple[str, str]:
    from tasks import clock

    today = clock.now().date()
    return str(today), str(today.fromordinal(today.toordinal() + 7))


async def _connection(port: int, key: str, start: int, stop_at: float, latencies: list[float],
                      statuses: dict[int, int], stride: int) -> None:
    today, due = _dates()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = start
    while time.monotonic() < stop_at:
        body = _body(i, today, due)
        t0 = time.perf_counter()
        await _post(reader, writer, key, body, statuses)
        latencies.append(time.perf_counter() - t0)
        i += stride
    writer.close()


async def _paced(port: int, key: str, rate: float, stop_at: float, latencies: list[float],
                 statuses: dict[int, int], connections: int, first: int) -> None:
    """Open loop: order i is due at t0 + i / rate; idle connections take the next due order."""
    today, due = _dates()
    t0 = time.perf_counter()
    n = int((stop_at - time.monotonic()) * rate)
    todo: asyncio.Queue = asyncio.Queue()
    for i in range(n):
        todo.put_nowait(i)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while not todo.empty():
            i = todo.get_nowait()
            at = t0 + i / rate
            if (wait := at - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            due_at = time.monotonic() + (at - time.perf_counter())
            await _post(reader, writer, key, _body(first + i, today, due), statuses)
            latencies.append(time.perf_counter() - at)
            stalls.SPANS.append((due_at, time.monotonic()))
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))


async def _load(port: int, key: str, seconds: float, connections: int,
                first: int = 0, rate: float | None = None) -> tuple[list[float], dict, float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    t0 = time.monotonic()
    stop_at = t0 + seconds
    if rate:
        await _paced(port, key, rate, stop_at, latencies, statuses, connections, first)
    else:
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


def _serve(data: Path, workers: int, code: Path, overlap: bool,
           trace: Path | None = None) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, KONBINI_DATA_DIR=str(data), PYTHONPATH=str(code),
               KONBINI_API_PIPELINE_OVERLAP="1" if overlap else "0")
    command = [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    if trace is not None:  # this checkout's tracer as a script: `web` and `tasks` from the served code
        env.update(KONBINI_BENCH_TRACE=str(trace))
        command = [sys.executable, str(REPO / "bench" / "api" / "traced.py"), str(port)]
    proc = subprocess.Popen(command, env=env, cwd=code)
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
    ap.add_argument("--rate", type=float, default=None, help="orders per second, open loop")
    ap.add_argument("--server-code", type=Path, default=REPO, help="the checkout whose code serves")
    ap.add_argument("--overlap", action="store_true", help="judge and commit in two threads (pipeline.py)")
    ap.add_argument("--trace", action="store_true", help="what the slowest requests overlapped (1 worker)")
    args = ap.parse_args()
    if args.trace and args.workers != 1:
        raise SystemExit("--trace: one worker only")
    load0 = Path("/proc/loadavg").read_text().split()[0]
    data = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        key = _prepare(data)
        trace = data / "trace.json" if args.trace else None
        proc, port = _serve(data, args.workers, args.server_code.resolve(), args.overlap, trace)
        try:
            asyncio.run(_load(port, key, args.warmup, 4, first=10**8))  # warm-up: imports, first batches
            cpu0, client0, window0 = _cpu_seconds(proc.pid), time.process_time(), time.monotonic()
            latencies, statuses, elapsed = asyncio.run(_load(port, key, args.seconds, args.connections,
                                                             rate=args.rate))
            cpu, client = _cpu_seconds(proc.pid) - cpu0, time.process_time() - client0
        finally:
            proc.terminate()
            proc.wait(30)
        ms = sorted(x * 1000 for x in latencies)
        q = statistics.quantiles(ms, n=100)
        mode = f"open loop at {args.rate:g}/s on up to" if args.rate else "closed loop,"
        print(f"{len(ms)} requests in {elapsed:.1f} s: {len(ms) / elapsed:.0f} orders/s "
              f"({mode} {args.connections} connections, {args.workers} worker(s), server code "
              f"{args.server_code}{', overlap' if args.overlap else ''}); statuses {statuses}")
        print(f"latency ms: p50 {q[49]:.1f}  p95 {q[94]:.1f}  p99 {q[98]:.1f}  max {ms[-1]:.1f}")
        print(f"CPU per order: server {cpu / len(ms) * 1000:.2f} ms, client {client / len(ms) * 1000:.2f} ms "
              f"(server busy {cpu / elapsed:.2f} cores of {os.cpu_count()})")
        print("loadavg:", load0, "->", Path("/proc/loadavg").read_text().strip())
        if trace is not None:
            stalls.report(trace, (window0, window0 + elapsed))
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
