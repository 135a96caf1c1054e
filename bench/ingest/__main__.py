"""Ingest benchmark: `.venv/bin/python -m bench.ingest [--events 1000000] [--per-file 50000]`.

Generates valid SEJ, FM and CVS files (vectorised with Polars, not timed) holding `--events` events
spread over the three feeds (40% SEJ, 30% FM, 30% CVS; half 速報 01, half 確報 02), then times the
whole pipeline end to end — `tasks.ingest.pull` from a local inbox: read, decode, parse, validate
(Pandera), check against the warehouse, merge into DuckDB, move aside:

- cold: a new process state and an empty warehouse;
- warm: the same files again into a second empty warehouse (modules loaded, files in page cache);
- loaded: as many new events (another set of files) into the warehouse that already holds the first.

In the same run it times DuckDB's own `read_csv` of the same records as one UTF-8 CSV into a table
of a DuckDB file, the reference rate. Results go to stdout; copy them into docs/benchmarks.md.
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

from tasks.clock import JST
from tasks.feeds import gs1
from tasks.ingest import pull
from tasks.settings import Settings
from tasks.warehouse import Warehouse

SHARES = {"SEJ": 0.4, "FM": 0.3, "CVS": 0.3}
DAY = datetime(2026, 11, 9, 6, 0)


def _z(e: pl.Expr, n: int) -> pl.Expr:
    return e.cast(pl.String).str.zfill(n)


def _payments(n: int, ref_base: int, ref_len: int) -> pl.DataFrame:
    i = pl.int_range(0, n, dtype=pl.Int64)
    return pl.select(
        i=i,
        reference=_z(pl.lit(ref_base, pl.Int64) + i, ref_len),
        paid_date=pl.lit(datetime(2026, 11, 1).date()) + pl.duration(days=i % 5),
        hh=i // 60 % 24,
        mm=i % 60,
        ss=i * 7 % 60,
        store=i * 7 % 999_999 + 1,
        amount=(i * 7919 % 300_000) + 1,
    ).with_columns(stamp=pl.when(pl.col("amount") >= 50_000).then(pl.lit("1")).otherwise(pl.lit("0")))


def _chunks(frame: pl.DataFrame, per_file: int):
    for start in range(0, frame.height, per_file):
        yield frame.slice(start, per_file)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("cp932"))


def sej_files(inbox: Path, n_payments: int, per_file: int, seq0: int, ref_base: int) -> int:
    pay = _payments(n_payments, ref_base, 13)
    seq = {"01": seq0, "02": seq0}
    for kind in ("01", "02"):
        for part in _chunks(pay, per_file):
            seq[kind] += 1
            created = DAY.replace(hour=6 if kind == "02" else 5, minute=seq[kind] % 60)
            lines = part.select(
                pl.concat_str(
                    pl.lit("2" + kind),
                    "reference",
                    pl.col("paid_date").dt.strftime("%Y%m%d"),
                    _z(pl.col("hh"), 2),
                    _z(pl.col("mm"), 2),
                    _z(pl.col("store"), 7),
                    _z(pl.col("amount"), 6),
                    "stamp",
                    pl.lit("20261113" if kind == "02" else "00000000"),
                    pl.lit("0" * 12),
                    pl.lit(" " * 58),
                )
            )[:, 0]
            header = f"1{kind}912345{created:%Y%m%d%H%M%S}{seq[kind]:06d}" + " " * 91
            trailer = f"8{part.height:06d}{part['amount'].sum():012d}{0:06d}{0:012d}" + " " * 83
            body = lines.str.join("\r\n").item()
            name = f"SEJ_{kind}_{created:%Y%m%d%H%M%S}_{seq[kind]:06d}.dat"
            _write(inbox / "sej" / name, "\r\n".join([header, body, trailer, "9" + " " * 119]) + "\r\n")
    return 2 * n_payments


def fm_files(inbox: Path, n_payments: int, per_file: int, seq0: int, ref_base: int) -> int:
    pay = _payments(n_payments, ref_base, 12)
    seq = {"S": seq0, "K": seq0}
    for kind in ("S", "K"):
        dates = pl.lit("2026110920261113") if kind == "K" else pl.lit(" " * 16)
        for part in _chunks(pay, per_file):
            seq[kind] += 1
            created = DAY.replace(hour=6 if kind == "K" else 5, minute=10 + seq[kind] % 40)
            lines = part.select(
                pl.concat_str(
                    pl.lit("D154321"),
                    "reference",
                    pl.col("paid_date").dt.strftime("%Y%m%d"),
                    _z(pl.col("hh"), 2),
                    _z(pl.col("mm"), 2),
                    _z(pl.col("ss"), 2),
                    _z(pl.col("store"), 6),
                    _z(pl.col("amount"), 8),
                    "stamp",
                    dates,
                    pl.lit(" " * 64),
                )
            )[:, 0]
            header = f"H{kind}54321{created:%Y%m%d%H%M%S}{seq[kind]:06d}" + " " * 101
            trailer = f"T{part.height:07d}{part['amount'].sum():012d}{0:012d}" + " " * 96
            name = f"FM_{kind}_{created:%Y%m%d%H%M%S}_{seq[kind]:06d}.dat"
            _write(inbox / "famima" / name, header + lines.str.join("").item() + trailer)
    return 2 * n_payments


CVS_CHAINS = [
    ("020", "ローソン"),
    ("080", "ミニストップ"),
    ("050", "デイリーヤマザキ"),
    ("760", "セイコーマート"),
]


def cvs_files(inbox: Path, n_payments: int, per_file: int, seq0: int, ref_base: int) -> int:
    pay = (
        _payments(n_payments, ref_base, 11)
        .with_columns(
            chain=pl.col("i") % 4,
            body=pl.concat_str(
                pl.lit("91912345"),
                "reference",
                pl.lit("0" * 11),
                pl.lit("261130"),
                pl.lit("0"),
                _z(pl.col("amount"), 6),
            ),
        )
        .with_columns(barcode=pl.col("body") + gs1.check_digit_expr(pl.col("body") + "0").cast(pl.String))
    )
    code = pl.col("chain").replace_strict(
        {i: c for i, (c, _) in enumerate(CVS_CHAINS)}, return_dtype=pl.String
    )
    name_ = pl.col("chain").replace_strict(
        {i: n for i, (_, n) in enumerate(CVS_CHAINS)}, return_dtype=pl.String
    )
    seq = seq0
    for kind in ("01", "02"):
        for part in _chunks(pay, per_file):
            seq += 1
            created = DAY.replace(hour=6 if kind == "02" else 5, minute=20 + seq % 40)
            lines = part.select(
                pl.concat_str(
                    pl.lit(kind),
                    pl.col("paid_date").dt.strftime("%Y%m%d"),
                    _z(pl.col("hh"), 2) + _z(pl.col("mm"), 2),
                    "barcode",
                    pl.lit("0"),
                    pl.col("amount").cast(pl.String),
                    code,
                    name_,
                    pl.col("store").cast(pl.String),
                    pl.lit("20261113" if kind == "02" else "0"),
                    pl.lit(f"{created:%Y%m%d}"),
                    separator=",",
                )
            )[:, 0]
            trailer = f"99,{part.height},{part['amount'].sum()},0,0"
            name = f"CVS_{created:%Y%m%d%H%M%S}_{seq:06d}.csv"
            _write(inbox / "cvs" / name, lines.str.join("\r\n").item() + "\r\n" + trailer + "\r\n")
    return 2 * n_payments


def generate(inbox: Path, events: int, per_file: int, batch: int) -> int:
    """Files for `events` events; `batch` shifts sequence numbers and references (a later delivery)."""
    payments = {feed: int(events * share) // 2 for feed, share in SHARES.items()}
    seq0 = batch * 1000
    ref = batch * 10_000_000
    n = sej_files(inbox, payments["SEJ"], per_file, seq0, 1_000_000_000_000 + ref)
    n += fm_files(inbox, payments["FM"], per_file, seq0, 300_000_000_000 + ref)
    n += cvs_files(inbox, payments["CVS"], per_file, seq0, 20_000_000_000 + ref)
    return n


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-file", type=int, default=50_000)
    parser.add_argument("--work", type=Path, default=None, help="working folder (default: a temp dir)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="konbini-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=work)

    t = time.perf_counter()
    first, second = work / "inbox1", work / "inbox2"
    n1 = generate(first, args.events, args.per_file, batch=0)
    generate(second, args.events, args.per_file, batch=1)
    files = len(list(first.glob("*/*")))
    print(f"generated 2 x {n1:,} events in {files} files each ({time.perf_counter() - t:.1f} s, not timed)")

    results = {}
    wh = Warehouse(work / "cold.duckdb")
    results["cold"] = run_pull(wh, first, settings)
    restore(first)
    results["warm"] = run_pull(Warehouse(work / "warm.duckdb"), first, settings)
    results["loaded"] = run_pull(wh, second, settings)
    ref_s, ref_cpu, ref_n = duckdb_reference(wh, work)
    ref_rate, ref_cpu_rate = ref_n / ref_s, ref_n / ref_cpu

    print(
        f"machine: {os.cpu_count()} CPU ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, Polars {pl.__version__}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (the machine is shared)")
    print(
        f"DuckDB read_csv (UTF-8, {ref_n:,} records into a table): {ref_s:.2f} s wall"
        f" = {ref_rate:,.0f} rows/s;"
        f" {ref_cpu:.2f} s CPU = {ref_cpu_rate:,.0f} rows/CPU-s"
    )
    for name, (seconds, cpu, n) in results.items():
        rate, cpu_rate = n / seconds, n / cpu
        print(
            f"pipeline {name:6s}: {n:,} events in {seconds:.2f} s wall = {rate:,.0f} events/s"
            f" = {rate / ref_rate:.0%} of read_csv; {cpu:.2f} s CPU = {cpu_rate:,.0f} events/CPU-s"
            f" = {cpu_rate / ref_cpu_rate:.0%} of read_csv"
        )
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
