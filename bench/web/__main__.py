"""Web latency benchmark: p95 of ホーム, 収納状況 search by order id and by date range, and 注文詳細,
over a real `uvicorn` process on 127.0.0.1, with N orders in the warehouse (default 10,000,000).

    PYTHONPATH=. python -m bench.web [--orders 10000000] [--requests 200] [--data DIR] [--publish]

An existing --data folder with a warehouse is reused (building 10M orders takes most of an hour on
a loaded machine); `--publish` publishes it again first (after a change to the published copy's
layout), timed. Besides each page's p95 and median, the server's CPU time (user+sys) per request.
Results go to docs/benchmarks.md (Web) with `cat /proc/loadavg`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.web.world import build
from tasks.clock import now
from tasks.portal.accounts import add_user
from tasks.settings import Settings
from tasks.warehouse import Warehouse

PASSWORD = "benchmark password"


def serve(data: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "KONBINI_DATA_DIR": str(data)}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env)
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the web server did not start")


def session(base: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=60)
    form = c.get("/login")
    token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = c.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token},
               headers={"Cookie": f"konbini_login_csrf={form.cookies['konbini_login_csrf']}"})
    c.headers["Cookie"] = f"konbini_session={r.cookies['konbini_session']}"
    return c


def cpu_ms(pid: int) -> float:
    """User+sys CPU time of process `pid` so far, in ms."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def p95(c: httpx.Client, paths: list[str], pid: int) -> tuple[float, float, float]:
    """p95 and median wall ms of GET `paths`, and the server's mean CPU ms per request."""
    times = []
    cpu = cpu_ms(pid)
    for p in paths:
        t = time.perf_counter()
        r = c.get(p)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (p, r.status_code)
    return statistics.quantiles(times, n=20)[18], statistics.median(times), (cpu_ms(pid) - cpu) / len(paths)


def publish(settings: Settings) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    Warehouse(settings.warehouse_path).publish()
    print(f"published in {time.perf_counter() - wall:.0f} s ({time.process_time() - cpu:.0f} s CPU)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--data", type=Path, default=Path("/work/bench-data/web/data"))
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--publish", action="store_true", help="publish the existing warehouse again first")
    a = ap.parse_args()
    settings = Settings(data_dir=a.data)
    if a.publish:
        publish(settings)
    if not settings.warehouse_path.exists():
        t = time.perf_counter()
        build(a.data, a.orders)
        print(f"built {a.orders:,} orders and published in {time.perf_counter() - t:.0f} s")
        add_user(settings, "bench", "merchant", "M000001", PASSWORD, now())
    proc = serve(a.data, a.port)
    try:
        c = session(f"http://127.0.0.1:{a.port}")
        rnd = random.Random(1)
        n = a.requests
        ids = [f"O{3 * rnd.randrange(a.orders // 3):010d}" for _ in range(n)]  # M000001's: i % 3 == 0
        days = [f"2026-{rnd.randint(1, 10):02d}-{rnd.randint(1, 21):02d}" for _ in range(n)]
        m = "/merchants/M000001"
        cases = {
            "ホーム": [f"{m}/"] * n,
            "収納状況 by order id": [f"{m}/orders?order_id={i}" for i in ids],
            "収納状況 by date range (7 days)": [
                f"{m}/orders?ordered_from={d}&ordered_to={d[:8]}{int(d[8:]) + 6:02d}" for d in days],
            "注文詳細": [f"{m}/orders/{i}" for i in ids],
        }
        c.get(f"{m}/")  # first request opens the published copy
        for name, paths in cases.items():
            high, mid, cpu = p95(c, paths, proc.pid)
            print(f"{name}: p95 {high:.0f} ms, median {mid:.0f} ms, server CPU {cpu:.0f} ms/request"
                  f" ({n} requests)")
        print("loadavg:", Path("/proc/loadavg").read_text().strip())
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
