"""Benchmark: mailing N reports to a real SMTP relay (aiosmtpd on loopback) that takes `--delay`
seconds to answer each message, with `--connections` sessions at once.

    .venv/bin/python -m bench.reports.mail [--count 6] [--delay 1.0] [--connections 4]

Each delivery writes its steps to a throw-away warehouse as in production (attempt, then
accepted), so the figure includes the per-step commits. Prints the wall time.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import time
from datetime import datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.options import options
from tasks.clock import JST
from tasks.render.mail import Delivery, deliver_many
from tasks.settings import Settings, Smtp
from tasks.warehouse import Warehouse


class SlowRelay:
    def __init__(self, delay: float):
        self.delay = delay
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.count += 1
        return "250 OK"


def main() -> None:
    args = options(count=6, delay=1.0, connections=4)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    relay = SlowRelay(args.delay)
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            pdf, csv = root / "r.pdf", root / "r.csv"
            pdf.write_bytes(os.urandom(60_000))  # about a statement's size
            csv.write_bytes(b"x" * 5_000)
            settings = Settings(data_dir=root, smtp=Smtp(host="127.0.0.1", port=port, starttls=False,
                                                          connections=args.connections))
            wh = Warehouse(root / "w.duckdb")
            due = [Delivery(report_id=f"statement/M{i:06d}/M{i:06d}-20261101", kind="statement",
                            merchant_id=f"M{i:06d}", subject=f"M{i:06d}-20261101",
                            recipient=f"m{i}@x.example",
                            round=0, attempts=0, requested_by="bench", pdf_path=pdf, csv_path=csv)
                   for i in range(1, args.count + 1)]
            with wh.write():
                pass  # create and migrate the warehouse outside the measurement
            start = time.perf_counter()
            outcomes = deliver_many(wh, due, settings, datetime(2026, 11, 20, 8, tzinfo=JST))
            wall = time.perf_counter() - start
    finally:
        controller.stop()
    accepted = sum(o.state == "accepted" for o in outcomes)
    print(f"{args.count} reports, relay delay {args.delay} s, {args.connections} connections:"
          f" {wall:.1f} s wall, {accepted} accepted, relay received {relay.count}")


if __name__ == "__main__":
    main()
