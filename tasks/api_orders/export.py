"""The intake handed to the pull: orders with a chain, not yet exported, become one file
`API_ORDERS_{YYYYMMDDhhmmss}_{batch:06}.csv` in the inbox's `orders/` folder, with the ORDERS columns;
cancellations asked over the API one file `API_CANCELS_…` with the ORDER_CANCELS columns.
The pull then merges them with the ORDERS and ORDER_CANCELS handlers (inbox kinds API_ORDERS and
API_CANCELS): the same checks, the same decisions, the same rows in `orders` and `order_cancellations`,
the file kept in `inbound_files` — the ledger's ingestion time is the merge.

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

from schemas.orders import CANCEL_COLUMNS, ORDER_COLUMNS
from tasks.api_orders.store import open_store
from tasks.clock import naive_jst

ORDERS, CANCELS = "API_ORDERS", "API_CANCELS"
# what each kind of file takes: rows not yet in a batch (a cancellation only once its order's file
# was written by an earlier export, so that the pull, in creation-time order, meets the order first)
_PENDING = {
    ORDERS: "select seq from intake where batch is null and chain is not null",
    CANCELS: """select c.rowid from cancels c left join intake i using (merchant_id, order_id)
                left join batches b on b.kind = 'API_ORDERS' and b.batch = i.batch
                where c.batch is null and (i.seq is null or (b.written = 1 and b.created < ?))""",
}
_TABLE = {ORDERS: ("intake", "seq", ORDER_COLUMNS), CANCELS: ("cancels", "rowid", CANCEL_COLUMNS)}


def _content(rows, columns) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r[c] for c in columns])
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


def _assign(store, kind: str, created: str) -> None:
    """Put the kind's pending rows into a new batch (one store transaction)."""
    table, key, _ = _TABLE[kind]
    with store.tx() as con:
        pending = [r[0] for r in con.execute(_PENDING[kind], [created] if "?" in _PENDING[kind] else [])]
        if pending:
            last = con.execute("select coalesce(max(batch), 0) from batches where kind = ?", [kind])
            batch = last.fetchone()[0] + 1
            con.execute("insert into batches values (?, ?, ?, 0)", [kind, batch, created])
            con.executemany(f"update {table} set batch = ? where {key} = ?", [(batch, k) for k in pending])


def export(settings, as_of: datetime, inbox: str | None = None) -> list[str]:
    store = open_store(settings)
    created = f"{naive_jst(as_of):%Y%m%d%H%M%S}"
    names = []
    for kind in (ORDERS, CANCELS):
        _assign(store, kind, created)
        table, key, columns = _TABLE[kind]
        unwritten = store.con().execute(
            "select batch, created from batches where kind = ? and written = 0 order by batch", [kind])
        for batch, stamp in unwritten.fetchall():
            rows = store.con().execute(f"select * from {table} where batch = ? order by {key}", [batch])
            rows = rows.fetchall()
            name = f"{kind}_{stamp}_{batch:06d}.csv"
            _put(settings, inbox, name, _content(rows, columns))
            with store.tx() as con:
                con.execute("update batches set written = 1 where kind = ? and batch = ?", [kind, batch])
            names.append(name)
    return names
