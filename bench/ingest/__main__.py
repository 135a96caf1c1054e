"""Ingest benchmark: `.venv/bin/python -m bench.ingest [--events 300000] [--sizes 1000 10000 50000]
[--stored 10000000] [--data DIR] [--work DIR]`.

For each file size (records per file), it generates valid SEJ, FM and CVS files (bench/ingest/files.py,
not timed) holding `--events` events spread over the three feeds (40% SEJ, 30% FM, 30% CVS; half
速報 01, half 確報 02), then times, one after the other in the same run, on the same records:

- plain: the script a user would write instead (pandas `read_fwf`/`read_csv` + a DuckDB insert per
  file, bench/ingest/plain.py), into an empty DuckDB file;
- cold: `tasks.ingest.pull` end to end (read, decode, parse, validate, check against the warehouse,
  merge one transaction per file, move aside) into an empty warehouse;
- loaded: the same pull into a copy of a warehouse already holding `--stored` events (built once,
  written in SQL, and kept in `--data` (default /work/bench-data/ingest/, outside the worktrees) for
  later runs; copying it is not timed);
- read_csv: DuckDB's own `read_csv` of the same records as one UTF-8 CSV into a table of a DuckDB file
  (checkpoint included), the reference rate.

Then the ratios of the size: pipeline ÷ plain (goal ≥ 3×) and pipeline ÷ read_csv (goal ≥ 25 %, 50 %),
cold and loaded, by wall clock, with the load average: the machine may be shared.
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

DATA = Path("/work/bench-data/ingest")  # the stored warehouse, kept for later (idle) re-runs
Result = tuple[float, float, int]  # wall seconds, CPU seconds, records


def _load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def timed(fn, *args) -> Result:
    started, cpu = time.perf_counter(), time.process_time()
    n = fn(*args)
    return time.perf_counter() - started, time.process_time() - cpu, n


def run_plain(inbox: Path, work: Path) -> Result:
    db = work / "plain.duckdb"
    db.unlink(missing_ok=True)
    result = timed(plain_ingest, inbox, db)
    db.unlink()
    return result


def run_pull(warehouse: Warehouse, inbox: Path, settings: Settings) -> Result:
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


def stored_warehouse(events: int, data: Path) -> Path:
    """A warehouse holding `events` events, built once in `data` and kept for later runs."""
    path = data / f"stored-{events}.duckdb"
    if not path.exists():
        t = time.perf_counter()
        data.mkdir(parents=True, exist_ok=True)
        building = path.with_name(path.name + ".building")
        building.unlink(missing_ok=True)
        wh = Warehouse(building)
        with wh.write() as con:
            preload(con, events)
        with wh.session() as con:
            con.execute("checkpoint")
        building.rename(path)
        print(f"stored {events:,} events in {path} ({time.perf_counter() - t:.1f} s, not timed, kept)")
    return path


def read_csv_reference(warehouse: Warehouse, work: Path) -> Result:
    """DuckDB's read_csv of the same records (UTF-8 CSV) into a table of a DuckDB file."""
    reference, csv = work / "reference.duckdb", work / "records.csv"
    reference.unlink(missing_ok=True)
    with warehouse.read() as con:
        con.execute(
            f"copy (select * exclude (event_id, payment_id) from feed_records) to '{csv}' (header true)")
    con = duckdb.connect(str(reference))
    started, cpu = time.perf_counter(), time.process_time()
    con.execute(f"create table records as select * from read_csv('{csv}')")
    con.execute("checkpoint")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    (n,) = con.execute("select count(*) from records").fetchall()[0]
    con.close()
    reference.unlink()
    csv.unlink()
    return elapsed, cpu, n


def _rate(r: Result) -> float:
    return r[2] / r[0]


def _line(name: str, r: Result) -> str:
    seconds, cpu, n = r
    return (f"  {name:24s} {n:>9,} records {seconds:7.2f} s wall = {_rate(r):>10,.0f}/s;"
            f" {cpu:6.2f} s CPU  [{_load()}]")


def one_size(work: Path, size: int, events: int, stored: Path, settings: Settings) -> dict[str, Result]:
    """Plain script, pipeline cold, pipeline loaded and read_csv on the same files of `size` records."""
    inbox = work / f"inbox-{size}"
    generate(inbox, events, size, batch=0)
    files = len(list(inbox.glob("*/*")))
    print(f"{size:,} records per file: {files} files, {events:,} events")
    runs: dict[str, Result] = {"plain": run_plain(inbox, work)}
    print(_line("plain script", runs["plain"]))
    cold = Warehouse(work / f"cold-{size}.duckdb")
    runs["cold"] = run_pull(cold, inbox, settings)
    print(_line("pipeline cold", runs["cold"]))
    restore(inbox)
    loaded_path = work / f"loaded-{size}.duckdb"
    shutil.copyfile(stored, loaded_path)
    runs["loaded"] = run_pull(Warehouse(loaded_path), inbox, settings)
    print(_line(f"pipeline loaded ({stored.stem.split('-')[-1]})", runs["loaded"]))
    runs["read_csv"] = read_csv_reference(cold, work)
    print(_line("DuckDB read_csv (UTF-8)", runs["read_csv"]))
    for which in ("cold", "loaded"):
        r = runs[which]
        print(f"  -> {which:6s}: {_rate(r) / _rate(runs['plain']):5.2f}x the plain script (goal 3x),"
              f" {_rate(r) / _rate(runs['read_csv']):5.1%} of read_csv (goal 25 %, 50 %)")
    shutil.rmtree(inbox)
    for p in work.glob(f"*-{size}.duckdb*"):
        p.unlink()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000, help="events per file size")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 50_000])
    parser.add_argument("--stored", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, default=DATA, help="where the stored warehouse is kept")
    parser.add_argument("--work", type=Path, default=None, help="working folder (default: a temp dir)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="konbini-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=work)
    print(
        f"machine: {os.cpu_count()} CPU ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, Polars {pl.__version__}"
    )
    stored = stored_warehouse(args.stored, args.data)
    for size in args.sizes:
        one_size(work, size, args.events, stored, settings)
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
