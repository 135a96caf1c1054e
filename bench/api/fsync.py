"""The cost of one durable commit on this disk, apart from everything else:
`python -m bench.api.fsync [--dir DIR] [--count 200]`.

Two figures: a raw `os.write` + `os.fsync` of 4 KiB appended to a file (what a WAL commit costs
the disk), and a one-row SQLite transaction in the store's own settings (WAL, `synchronous=full`),
whose commit fsyncs the WAL once. The directory defaults to a fresh one beside the bench's data
(the same file system as the store under `bench.api`)."""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path


def _report(name: str, ms: list[float], cpu: float) -> None:
    q = statistics.quantiles(ms, n=100)
    print(f"{name}: n {len(ms)}  p50 {q[49]:.2f} ms  p95 {q[94]:.2f} ms  p99 {q[98]:.2f} ms  "
          f"max {max(ms):.2f} ms  (CPU {cpu / len(ms) * 1000:.3f} ms each)")


def raw_fsync(folder: Path, count: int) -> None:
    fd = os.open(folder / "fsync.bin", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    block, ms = os.urandom(4096), []
    cpu0 = time.process_time()
    try:
        for _ in range(count):
            t0 = time.perf_counter()
            os.write(fd, block)
            os.fsync(fd)
            ms.append((time.perf_counter() - t0) * 1000)
    finally:
        os.close(fd)
    _report("write 4 KiB + fsync", ms, time.process_time() - cpu0)


def sqlite_commit(folder: Path, count: int) -> None:
    con = sqlite3.connect(folder / "commit.sqlite", isolation_level=None)
    con.execute("pragma journal_mode = wal")
    con.execute("pragma synchronous = full")
    con.execute("create table t (i integer primary key, v text)")
    ms = []
    cpu0 = time.process_time()
    for i in range(count):
        t0 = time.perf_counter()
        con.execute("begin immediate")
        con.execute("insert into t values (?, ?)", [i, "x" * 300])
        con.execute("commit")
        ms.append((time.perf_counter() - t0) * 1000)
    _report("SQLite WAL synchronous=full, one-row commit", ms, time.process_time() - cpu0)
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--count", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fsync-", dir=args.dir) as d:
        print(f"in {d} (load average {Path('/proc/loadavg').read_text().split()[0]})")
        raw_fsync(Path(d), args.count)
        sqlite_commit(Path(d), args.count)


if __name__ == "__main__":
    main()
