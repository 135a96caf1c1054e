"""The facts of a scoped run's keys, read once: `feed_records` and `orders` of the (chain, reference)
keys of scope.KEYS, as temp tables.

Finding a set of keys by their columns reads the whole table (at 10 M orders each read is seconds
of CPU); the key index (key_index.py) bounds the read to the row groups ingested since the keys'
earliest fact. A scoped run reads the keys' records and orders once here; the derivation
(steps.Ctx.rows) and then the notification enqueue in the same transaction (outbox.KeyRows) read
these small tables instead of scanning the facts again.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from tasks.notify.outbox import KeyRows
from tasks.reconcile import key_index
from tasks.reconcile.scope import KEYS

RECORDS = "rc_key_records"  # feed_records of the keys ingested by as_of
ORDERS = "rc_key_orders"  # every order of the keys (the steps filter them by as_of)
TABLES = {"feed_records": RECORDS, "orders": ORDERS}


def create(con: duckdb.DuckDBPyConnection, as_of: datetime, *, indexed: bool = True) -> KeyRows:
    """Fill RECORDS and ORDERS for the keys of scope.KEYS as of `as_of` (naive JST).

    indexed: bring the key index up to date as of `as_of` and read only from the keys' earliest
    facts on (the incremental run; others read the tables whole: key_index.py)."""
    records, orders = key_index.read_from(con, KEYS, as_of) if indexed else ("true", "true")
    con.execute(f"create or replace temp table {RECORDS} as select * from feed_records r"
                f" semi join {KEYS} k on k.chain = r.chain and k.reference = r.reference"
                f" where r.ingested_at <= $at and {records}", {"at": as_of})
    con.execute(f"create or replace temp table {ORDERS} as select * from orders o"
                f" semi join {KEYS} k on k.chain = o.chain and k.reference = o.payment_reference"
                f" where {orders}")
    return KeyRows(keys=KEYS, records=RECORDS, orders=ORDERS, status_as_of=as_of)


def stored_bounds(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """SQL predicates, per derived table, that every row it holds of the keys meets: a bound its
    zonemaps prune by (rows are written in about the order of their facts), for the run's deletes.

    Exact: an order_status row has its order's due date, and every order of the keys is in ORDERS;
    a payments row has its payment's paid date (part of its identity), and every record of the keys
    a stored run has seen is in RECORDS (records are never removed, and a run storing rows is as of
    a time at or after every earlier one)."""
    return {"order_status": key_index.span(con, ORDERS, "due_date", "order_status.due_date"),
            "payments": key_index.span(con, RECORDS, "paid_date", "payments.paid_date"), "exceptions": "true"}


def drop(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES.values():
        con.execute(f"drop table if exists {table}")
