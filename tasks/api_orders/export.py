"""The intake handed to the pull: orders with a chain, not yet exported, become one file
`API_ORDERS_{YYYYMMDDhhmmss}_{batch:06}.csv` in the inbox's `orders/` folder, with the ORDERS columns.
The pull then merges it with the ORDERS handler (inbox kind API_ORDERS): the same checks, the same
rows in `orders`, the file kept in `inbound_files` — the ledger's ingestion time is the merge.

    export(settings, as_of, inbox=None) -> list[str]   # names written (the pull flow calls it first)

Crash-safe: a batch is assigned in one store transaction, then its file written and marked; a
crash in between writes the same bytes under the same name again (the pull sees a duplicate).
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime
from pathlib import Path

import fsspec

from schemas.orders import ORDER_COLUMNS
from tasks.api_orders.store import open_store
from tasks.clock import naive_jst

KIND = "API_ORDERS"


def _content(rows) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(ORDER_COLUMNS)
    for r in rows:
        w.writerow([r[c] for c in ORDER_COLUMNS])
    return out.getvalue().encode("utf-8")


def _put(settings, inbox: str | None, name: str, data: bytes) -> None:
    fs, root = fsspec.core.url_to_fs(inbox or settings.inbox_url, **settings.inbox_options)
    if "file" in fs.protocol:
        folder = Path(root) / "orders"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder.parent / f".{name}.tmp"  # outside orders/: never listed half-written
        tmp.write_bytes(data)
        os.replace(tmp, folder / name)
    else:
        fs.pipe_file(f"{root}/orders/{name}", data)


def export(settings, as_of: datetime, inbox: str | None = None) -> list[str]:
    store = open_store(settings)
    with store.tx() as con:
        if con.execute("select 1 from intake where batch is null and chain is not null limit 1").fetchone():
            batch = con.execute("select coalesce(max(batch), 0) + 1 from batches").fetchone()[0]
            con.execute("insert into batches values (?, ?, 0)", [batch, f"{naive_jst(as_of):%Y%m%d%H%M%S}"])
            con.execute("update intake set batch = ? where batch is null and chain is not null", [batch])
    names = []
    for batch, created in store.con().execute(
            "select batch, created from batches where written = 0 order by batch").fetchall():
        rows = store.con().execute("select * from intake where batch = ? order by seq", [batch]).fetchall()
        name = f"{KIND}_{created}_{batch:06d}.csv"
        _put(settings, inbox, name, _content(rows))
        with store.tx() as con:
            con.execute("update batches set written = 1 where batch = ?", [batch])
        names.append(name)
    return names
