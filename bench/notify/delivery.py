"""Benchmark: enqueue and deliver N notifications to a local HTTP server.

    .venv/bin/python -m bench.notify.delivery [--events 10000] [--concurrency 8 32]

The receiving server is a minimal asyncio HTTP/1.1 server (keep-alive, checks every signature) in its
own process, so the figures are of our side: claim (DuckDB), send (httpx in threads, each of the 10
merchants its own host name resolved to 127.0.0.1 by a resolver hook) with the record of each batch.
Results go to docs/benchmarks.md (## Notifications).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import multiprocessing as mp
import socket
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tasks.clock import JST
from tasks.notify import delivery
from tasks.notify.outbox import enqueue_events
from tasks.warehouse import Warehouse

SECRET = "bench-" + "e" * 40
AS_OF = datetime(2026, 11, 4, 12, 0, tzinfo=JST)


def _serve(port: int, ready, counter, latency_s: float = 0.0) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                ts = headers["konbini-timestamp"]
                mac = hmac.new(SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest("v1=" + mac, headers["konbini-signature"])
                with counter.get_lock():
                    counter.value += 1 if ok else 0
                if latency_s:
                    await asyncio.sleep(latency_s)  # a merchant's application doing its work
                status = b"200 OK" if ok else b"401 Unauthorized"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _facts(warehouse: Warehouse, url: str, n: int) -> float:
    """N orders of 10 merchants with one 01 each; returns the seconds enqueue_events took. `url`'s
    `{i}` is the merchant's number (each merchant its own host: the sender bounds each host)."""
    with warehouse.write() as con:
        con.execute("insert into master_loads values (1, timestamp '2026-11-01 00:00', 'bench', 'x')")
        con.execute(
            """insert into merchants select 1, 'M' || lpad(i::varchar, 6, '0'), 'n', 'ﾅ', 'active',
                   date '2026-01-01', 1, 'P1', '0005', '001', '1', '1234567', replace(?, '{i}', i::varchar),
                   ?, 'x@example.jp'
               from range(10) t(i)""",
            [url, SECRET],
        )
        con.execute(
            """insert into orders select 'M' || lpad((i % 10)::varchar, 6, '0'), 'S000001', 'O-' || i,
                   'seven', lpad(i::varchar, 13, '0'), 1000 + i % 5000, 'taxable', 0,
                   timestamp '2026-11-02 10:00',
                   date '2026-11-09', 1, i + 1, timestamp '2026-11-02 10:00'
               from range(?) t(i)""",
            [n],
        )
        con.execute(
            """insert into feed_records select 1, i + 1, 'SEJ', 'seven', '01', lpad(i::varchar, 13, '0'),
                   date '2026-11-03', '091500', '0001234', 1000 + i % 5000, false,
                   null, null, null, null, null,
                   timestamp '2026-11-03 10:00', timestamp '2026-11-03 10:00',
                   md5(concat_ws('|', 'seven', lpad(i::varchar, 13, '0'), '2026-11-03', '091500', '0001234',
                                 (1000 + i % 5000)::varchar, '01')),
                   md5(concat_ws('|', 'seven', lpad(i::varchar, 13, '0'), '2026-11-03', '091500', '0001234',
                                 (1000 + i % 5000)::varchar))
               from range(?) t(i)""",
            [n],
        )
        t = time.perf_counter()
        inserted = enqueue_events(con, AS_OF)
        elapsed = time.perf_counter() - t
        assert inserted == n, inserted
    return elapsed


def enqueue_cost(n: int) -> tuple[float, float]:
    """Seconds of the first enqueue of N facts, and of a rerun that finds nothing new (the steady
    cost each reconciliation pays)."""
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse(Path(tmp) / "warehouse.duckdb")
        first = _facts(warehouse, "https://merchant.example/hook", n)
        with warehouse.write() as con:
            t = time.perf_counter()
            assert enqueue_events(con, AS_OF) == 0
            again = time.perf_counter() - t
    return first, again


def run(n: int, concurrency: int, port: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse(Path(tmp) / "warehouse.duckdb")
        enqueue_s = _facts(warehouse, f"http://m{{i}}.localhost:{port}/hook", n)
        hosts = {f"m{i}.localhost": ["127.0.0.1"] for i in range(10)}
        t0 = time.perf_counter()
        with warehouse.write() as con:
            chains = delivery.claim(con, AS_OF, True, limit=n)
        t1 = time.perf_counter()
        summary = delivery.send_and_record(warehouse.write, chains, AS_OF, allow_loopback=True,
                                           concurrency=concurrency, resolver=lambda host, _: hosts[host],
                                           budget_s=3600)
        t2 = time.perf_counter()
        with warehouse.write() as con:
            (left,) = con.execute(
                "select count(*) from notification_outbox where state <> 'delivered'"
            ).fetchone()
        assert summary["delivered"] == n and left == 0, (summary, left)
    return {
        "events": n, "concurrency": concurrency, "enqueue_s": enqueue_s, "claim_s": t1 - t0,
        "send_s": t2 - t1, "total_s": t2 - t0, "per_s": n / (t2 - t0),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--server-latency-ms", type=float, default=0.0,
                    help="the receiving server waits this long before answering")
    ap.add_argument("--enqueue", type=int, nargs="*", default=[100_000, 1_000_000],
                    help="fact counts for the enqueue measurement")
    args = ap.parse_args()
    for n in args.enqueue:
        first, again = enqueue_cost(n)
        print(f"enqueue {n} facts: first {first:.2f} s, rerun with nothing new {again:.2f} s")
    port = _free_port()
    ready, counter = mp.Event(), mp.Value("q", 0)
    server = mp.Process(target=_serve, args=(port, ready, counter, args.server_latency_ms / 1000),
                        daemon=True)
    server.start()
    ready.wait(10)
    try:
        print("events  concurrency  enqueue s  claim s  send+record s  total s  deliveries/s")
        for c in args.concurrency:
            r = run(args.events, c, port)
            print(f"{r['events']:>6}  {r['concurrency']:>11}  {r['enqueue_s']:>9.2f}  {r['claim_s']:>7.2f}"
                  f"  {r['send_s']:>13.2f}  {r['total_s']:>7.2f}  {r['per_s']:>12.0f}")
        print(f"server verified {counter.value} signatures")
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
