"""Ingest benchmark: `.venv/bin/python -m bench.ingest [--events 1000000] [--per-file 10000]
[--stored 10000000] [--sizes 1000 5000 10000 50000] [--sweep-events 200000]`.

Generates valid SEJ, FM and CVS files (bench/ingest/files.py, not timed) holding `--events` events
spread over the three feeds (40% SEJ, 30% FM, 30% CVS; half 速報 01, half 確報 02) and times the
whole pipeline end to end — `tasks.ingest.pull` from a local inbox: read, decode, parse, validate,
check against the warehouse, merge into DuckDB one transaction per file, move aside:

- cold: the first pull of the process, into an empty warehouse;
- loaded: the same files into a warehouse already holding `--stored` events (written in SQL first,
  not timed), some of them paid on the same days (the resend lookup has work to do).

In the same run: DuckDB's own `read_csv` of the same records as one UTF-8 CSV into a table of a
DuckDB file (the reference rate), and the plain script a user would write instead (pandas
`read_fwf`/`read_csv` + a DuckDB insert per file, bench/ingest/plain.py) on the same files. Then,
for each of `--sizes` records per file, `--sweep-events` events: the pipeline (empty warehouse)
against the plain script. Every line gives the load average: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from bench.ingest.files import generate, preload
from bench.ingest.plain import plain_ingest
from tasks.clock import JST
from tasks.ingest import pull
from tasks.settings import Settings
from tasks.warehouse import Warehouse


def _load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def timed(fn, *args) -> tuple[float, float, int]:
    started, cpu = time.perf_counter(), time.process_time()
    n = fn(*args)
    return time.perf_counter() - started, time.process_time() - cpu, n


def run_plain(inbox: Path, work: Path) -> tuple[float, float, int]:
    db = work / "plain.duckdb"
    db.unlink(missing_ok=True)
    return timed(plain_ingest, inbox, db)


def run_pull(warehouse: Warehouse, inbox: Path, settings: Settings) -> tuple[float, float, int]:
    started, cpu = time.perf_counter(), time.process_time()
    outcomes = pull(warehouse, datetime(2026, 11, 9, 7, tzinfo=JST), settings, str(inbox), retry_delays=())
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    bad = [o for o in outcomes if o.state != "accepted"]
    if bad:
        raise SystemExit(f"benchmark files were not accepted: {bad[0].name}: {bad[0].reasons[:3]}")
    return elapsed, cpu, sum(o.counts.get("records", 0) for o in outcomes)


def restore(inbox: Path) -> None:
    """Put the moved-aside files back for another run."""
    for processed in inbox.glob("*/processed"):
        for p in processed.iterdir():
            p.rename(processed.parent / p.name)
        processed.rmdir()


def duckdb_reference(warehouse: Warehouse, work: Path) -> tuple[float, float, int]:
    """DuckDB's read_csv of the same records (UTF-8 CSV) into a table of a DuckDB file."""
    (work / "reference.duckdb").unlink(missing_ok=True)
    with warehouse.read() as con:
        con.execute(
            f"copy (select * exclude (event_id, payment_id) from feed_records) to '{work}/records.csv'"
            " (header true)"
        )
    con = duckdb.connect(str(work / "reference.duckdb"))
    started, cpu = time.perf_counter(), time.process_time()
    con.execute(f"create table records as select * from read_csv('{work}/records.csv')")
    con.execute("checkpoint")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    (n,) = con.execute("select count(*) from records").fetchone()
    con.close()
    return elapsed, cpu, n


def _line(name: str, result: tuple[float, float, int], ref: tuple[float, float, int] | None) -> str:
    seconds, cpu, n = result
    text = f"{name:28s} {n:>10,} records {seconds:7.2f} s wall = {n / seconds:>10,.0f}/s; {cpu:6.2f} s CPU"
    if ref is not None:
        text += f"; {n / seconds / (ref[2] / ref[0]):5.0%} of read_csv (wall)"
    return f"{text}  [{_load()}]"


def sweep(work: Path, sizes: list[int], events: int, settings: Settings) -> None:
    """Pipeline (empty warehouse) against the plain script, file size by file size."""
    for size in sizes:
        inbox = work / f"inbox-{size}"
        generate(inbox, events, size, batch=0)
        files = len(list(inbox.glob("*/*")))
        wh_path = work / f"sweep-{size}.duckdb"
        ours = run_pull(Warehouse(wh_path), inbox, settings)
        restore(inbox)
        theirs = run_plain(inbox, work)
        print(_line(f"pipeline {size:,}/file ({files})", ours, None))
        print(_line(f"plain script {size:,}/file", theirs, None)
              + f"  -> pipeline / plain = {theirs[0] / ours[0]:.2f}x")
        shutil.rmtree(inbox)
        wh_path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-file", type=int, default=10_000)
    parser.add_argument("--stored", type=int, default=10_000_000)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 5_000, 10_000, 50_000])
    parser.add_argument("--sweep-events", type=int, default=200_000)
    parser.add_argument("--work", type=Path, default=None, help="working folder (default: a temp dir)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="konbini-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=work)
    print(
        f"machine: {os.cpu_count()} CPU ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, Polars {pl.__version__}"
    )

    t = time.perf_counter()
    inbox = work / "inbox"
    n = generate(inbox, args.events, args.per_file, batch=0)
    files = len(list(inbox.glob("*/*")))
    print(f"generated {n:,} events in {files} files ({time.perf_counter() - t:.1f} s, not timed)")

    cold_wh = Warehouse(work / "cold.duckdb")
    cold = run_pull(cold_wh, inbox, settings)
    ref = duckdb_reference(cold_wh, work)
    print(_line("DuckDB read_csv (UTF-8)", ref, ref))
    print(_line("pipeline cold", cold, ref))

    t = time.perf_counter()
    loaded_wh = Warehouse(work / "loaded.duckdb")
    with loaded_wh.write() as con:
        preload(con, args.stored)
    with loaded_wh.session() as con:
        con.execute("checkpoint")
    print(f"stored {args.stored:,} events first ({time.perf_counter() - t:.1f} s, not timed)")
    restore(inbox)
    print(_line(f"pipeline loaded ({args.stored:,})", run_pull(loaded_wh, inbox, settings), ref))
    restore(inbox)
    plain = run_plain(inbox, work)
    print(_line(f"plain script {args.per_file:,}/file", plain, ref)
          + f"  -> pipeline cold / plain = {plain[0] / cold[0]:.2f}x")
    shutil.rmtree(inbox)
    for p in ("cold.duckdb", "loaded.duckdb", "records.csv", "reference.duckdb"):
        (work / p).unlink(missing_ok=True)

    sweep(work, args.sizes, args.sweep_events, settings)
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
