"""What a user would write instead of konbini's ingest: pandas `read_fwf` / `read_csv` per file, then a
DuckDB insert, one file at a time (each insert its own transaction). No checks beyond what pandas
does, no lineage, no ids, no resend detection: the yardstick issue 14 sets (≥ 3× its rate).

    plain_ingest(inbox, db) -> int   # records inserted
"""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pandas as pd

COLUMNS = ["kind", "reference", "paid_date", "paid_time", "store_code", "amount"]
SEJ = {"record_type": (0, 1), "kind": (1, 3), "reference": (3, 16), "paid_date": (16, 24),
       "paid_time": (24, 28), "store_code": (28, 35), "amount": (35, 41)}
FM = {"record_type": (0, 1), "kind": (1, 2), "reference": (7, 19), "paid_date": (19, 27),
      "paid_time": (27, 33), "store_code": (33, 39), "amount": (39, 47)}
CVS = {"kind": 0, "paid_date": 1, "paid_time": 2, "reference": 3, "amount": 5, "store_code": 8}


def _fixed(source, spec: dict, data_code: str) -> pd.DataFrame:
    df = pd.read_fwf(source, colspecs=list(spec.values()), names=list(spec), dtype=str, header=None,
                     encoding="cp932")
    return df[df["record_type"] == data_code]


def read(path: Path) -> pd.DataFrame:
    if path.name.startswith("SEJ"):
        df = _fixed(path, SEJ, "2")
    elif path.name.startswith("FM"):
        text = path.read_bytes().decode("cp932")
        lines = "\n".join(text[i : i + 128] for i in range(0, len(text), 128))
        df = _fixed(io.StringIO(lines), FM, "D")
    else:
        df = pd.read_csv(path, header=None, dtype=str, encoding="cp932")
        df = df[df[0] != "99"].rename(columns={v: k for k, v in CVS.items()})
    df = df[COLUMNS].copy()
    df["amount"] = df["amount"].astype("int64")
    return df


def plain_ingest(inbox: Path, db: Path) -> int:
    con = duckdb.connect(str(db))
    con.execute("create table if not exists records (file varchar, kind varchar, reference varchar,"
                " paid_date varchar, paid_time varchar, store_code varchar, amount bigint)")
    n = 0
    for path in sorted(p for p in inbox.glob("*/*") if p.is_file()):
        df = read(path)
        con.register("df", df)
        con.execute("insert into records select ?, * from df", [path.name])
        con.unregister("df")
        n += len(df)
    con.close()
    return n
