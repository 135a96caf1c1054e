"""Valid SEJ, FM and CVS files for the ingest benchmark, vectorised with Polars (not timed).

    generate(inbox, events, per_file, batch) -> int   # events written
    preload(con, events)                              # a warehouse that already holds `events` events
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from tasks.feeds import gs1

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


def _payment_fields(store: int, amount: int, seconds: bool) -> list[pl.Expr]:
    """Reference, paid date and time, store code, amount and stamp flag in a fixed-width feed's form."""
    time = [_z(pl.col(c), 2) for c in ("hh", "mm", "ss")[: 3 if seconds else 2]]
    return [pl.col("reference"), pl.col("paid_date").dt.strftime("%Y%m%d"), *time,
            _z(pl.col("store"), store), _z(pl.col("amount"), amount), pl.col("stamp")]


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
                    *_payment_fields(store=7, amount=6, seconds=False),
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
                    *_payment_fields(store=6, amount=8, seconds=True),
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


def preload(con: duckdb.DuckDBPyConnection, events: int, per_file: int = 50_000) -> None:
    """`events` stored events (accepted CVS files of another sequence range, references that the
    generated files never use, paid over the 100 days up to the files' dates, stored in the order
    of their paid dates as a warehouse fed day by day holds them), written in SQL."""
    files = -(-events // per_file)
    con.execute(
        """insert into inbound_files
           select i, 'cvs', 'CVS_20260701000000_' || lpad((500000 + i)::varchar, 6, '0') || '.csv', 'CVS',
               500000 + i, timestamp '2026-07-01', md5(i::varchar), 0, ''::blob,
               timestamp '2026-07-01', 'accepted'
           from range(1, ? + 1) t(i)""", [files])
    con.execute(
        f"""insert into feed_records
        with g as (select i, date '2026-07-28' + (i * 100 // ?)::integer as paid_date,
                          lpad((i % 86400 // 3600)::varchar, 2, '0')
                          || lpad((i % 3600 // 60)::varchar, 2, '0') || '00' as paid_time,
                          lpad((90000000000 + i // 2)::varchar, 11, '0') as reference,
                          lpad((i % 999 + 1)::varchar, 4, '0') as store_code,
                          (i * 7919 % 300000 + 1) as amount,
                          case when i % 2 = 0 then '01' else '02' end as kind
                   from range(0, ?) t(i))
        select i // {per_file} + 1, i % {per_file} + 1, 'CVS', 'lawson', kind, reference, paid_date,
               paid_time, store_code, amount, amount >= 50000, case when kind = '02' then paid_date + 5 end,
               null, null, null, false, timestamp '2026-07-01', timestamp '2026-07-01',
               md5(concat_ws('|', 'lawson', reference, strftime(paid_date, '%Y-%m-%d'), paid_time, store_code,
                                 amount::varchar, kind)),
               md5(concat_ws('|', 'lawson', reference, strftime(paid_date, '%Y-%m-%d'), paid_time, store_code,
                                 amount::varchar))
        from g""", [events, events])
