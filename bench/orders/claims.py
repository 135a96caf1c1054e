"""Benchmark: the ORDERS file's last check alone (`claim_references`: the rows' order keys, then
their references, in the API's store), on a fresh store and on one whose intake holds every row
(an API_ORDERS export being merged: each key held by the API, its content compared).

    .venv/bin/python -m bench.orders.claims [--rows 99000] [--runs 3]
    # another checkout's code (e.g. main's), the same bench:
    cd /tmp && PYTHONPATH=/work/main /work/main/.venv/bin/python /work/h-harden/bench/orders/claims.py

Prints wall and CPU seconds per run with the load average. Results: docs/benchmarks.md (## Order API).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import polars as pl

from bench.options import options
from schemas.orders import ORDER_COLUMNS
from tasks.api_orders.references import claim_references
from tasks.api_orders.store import open_store
from tasks.order_files import REASONS_SCHEMA
from tasks.orders import judge_form
from tasks.settings import Settings


def rows_text(n: int) -> list[list[str]]:
    """The rows of bench.orders.ingest's file, as text."""
    return [["M000001", "S000001", f"B-{i:07d}", "seven", f"{2_000_000_000_000 + i:013d}",
             str(1000 + i % 50000), "taxable", str((1000 + i % 50000) // 11),
             f"2026-11-02T10:{i % 60:02d}:00+09:00", f"2026-11-{9 + i % 20:02d}", "ヤマダ　タロウ",
             "0312345678", f"b{i}@example.jp"] for i in range(n)]


def held_by_api(settings: Settings, rows: list[list[str]]) -> None:
    """The intake holds every row (as the API appended it): its references and, where the store has
    them, its order keys' claims."""
    store = open_store(settings)
    cols = [*ORDER_COLUMNS, "token", "registered_at"]
    with store.tx() as con:
        con.executemany(f"insert into intake ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
                        [[*r[:5], int(r[5]), r[6], int(r[7]), *r[8:], f"t{i}", "2026-11-02T10:00:00+09:00"]
                         for i, r in enumerate(rows)])
        con.execute("insert into issued_references select chain, payment_reference, merchant_id, order_id,"
                    " registered_at from intake")
        if con.execute("select 1 from sqlite_master where name = 'claimed_orders'").fetchone():
            con.execute("insert or ignore into claimed_orders select merchant_id, order_id, 'api',"
                        " registered_at from intake")


def main() -> None:
    args = options(rows=99_000, runs=3)
    rows = rows_text(args.rows)
    raw = pl.DataFrame(rows, schema=dict.fromkeys(ORDER_COLUMNS, pl.String), orient="row")
    typed, _ = judge_form(raw.with_row_index("row").cast({"row": pl.Int64}))
    for run in range(args.runs):
        for case in ("fresh store", "held by the API"):
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings(data_dir=Path(tmp))
                if case == "held by the API":
                    held_by_api(settings, rows)
                load = os.getloadavg()[0]
                t, cpu = time.perf_counter(), time.process_time()
                new, reasons = claim_references(settings, typed, pl.DataFrame(schema=REASONS_SCHEMA))
                wall, cpu = time.perf_counter() - t, time.process_time() - cpu
                print(f"run {run + 1} {case:16s} {args.rows:,} rows: {wall:.2f} s wall, {cpu:.2f} s CPU"
                      f" (load {load:.1f}); kept {new.height:,}, refused {reasons.height:,}")


if __name__ == "__main__":
    main()
