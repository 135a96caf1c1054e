"""Order keys (merchant_id, order_id) claimed in the API's store: the one authority of "one order
per key" between the two doors, as `issued_references` is for references. Each door claims the key
in the store transaction of its write; whoever claims first has the order, the other gets the
conflict reason (docs/decisions.md, "Same order again").

    claim_for_api(con, merchant_id, order_id, stamp) -> bool   # in the API batch's transaction
    claim_for_file(con, new) -> [(row, field, reason)]          # ORDERS rows, the file's last check
    release_for_file(con, rows)        # keys of rows that a later check of the same claim refused

`claimed_orders.door` says whose: 'api' (the order is the intake's row, whose chain and reference
the payment page may set later) or 'file' (an ORDERS row). A file claims before the warehouse
commits: if that rolls back, the claims stay and the rerun takes them again, since a key held by
the file door is only ever judged by the warehouse (which had judged the row against every
committed order before the claim). The API cannot see the unpublished warehouse: every claim is an
order to it (a crashed file's key answers 422 until the rerun registers it).
"""

from __future__ import annotations

import sqlite3

import polars as pl

from schemas.orders import ORDER_COLUMNS, parse_date, parse_iso_offset

CONFLICT = "conflict: order {} {} is already registered with different content"
KEY = ["merchant_id", "order_id"]
_CONTENT = [c for c in ORDER_COLUMNS if c not in KEY]
# the intake's columns as stored (amounts are integers, times the API's text)
INTAKE_TYPES = {c: pl.Int64 if c in ("amount", "tax_amount") else pl.String for c in ORDER_COLUMNS}


def claim_for_api(con: sqlite3.Connection, merchant_id: str, order_id: str, stamp: str) -> bool:
    """Claim a key for an order the API is about to append; False when either door holds it."""
    cur = con.execute("insert or ignore into claimed_orders values (?, ?, 'api', ?)",
                      [merchant_id, order_id, stamp])
    return cur.rowcount == 1


def claim_for_file(con: sqlite3.Connection, new: pl.DataFrame) -> list[tuple[int, str, str]]:
    """Claim the keys of ORDERS rows about to be registered (typed, one row per key). A row whose
    key the API holds stands only with that order's very content (it is then the same order: the
    API's own export, or the order sent by file too); otherwise it gets the conflict reason."""
    keys = [new.select(KEY).write_json()]  # one statement over json_each: no Python loop per row
    before = con.total_changes
    con.execute("insert or ignore into claimed_orders select value ->> 'merchant_id', value ->> 'order_id',"
                " 'file', datetime('now') from json_each(?)", keys)
    if con.total_changes - before == new.height:  # every key was free
        return []
    cur = con.cursor()
    cur.row_factory = None  # plain tuples: a third of the fetch's cost for an API export's rows
    # a key of the intake is the API's claim (claimed in the same transaction as the intake's row)
    held = cur.execute(
        f"select {', '.join(f'i.{c}' for c in ORDER_COLUMNS)} from json_each(?) k join intake i"
        " on i.merchant_id = k.value ->> 'merchant_id' and i.order_id = k.value ->> 'order_id'",
        keys).fetchall()
    if not held:
        return []
    # the intake's rows typed as the file's rows are (the ORDERS file's own parsers)
    api = pl.DataFrame(held, schema=INTAKE_TYPES, orient="row").with_columns(
        parse_iso_offset("ordered_at").alias("ordered_at"), parse_date("due_date").alias("due_date"))
    both = new.select("row", *ORDER_COLUMNS).join(api, on=KEY, suffix="_api")
    same = pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}_api")) for c in _CONTENT)
    lost = both.filter(~same).select("row", *KEY).rows()
    return [(row, "order_id", CONFLICT.format(m, o)) for row, m, o in lost]


def release_for_file(con: sqlite3.Connection, rows: pl.DataFrame) -> None:
    """Give back the file door's claims of these rows' keys (refused after the claim, e.g. for a
    reference held by another order): no order of theirs will exist."""
    con.executemany("delete from claimed_orders where merchant_id = ? and order_id = ? and door = 'file'",
                    rows.select(KEY).rows())
