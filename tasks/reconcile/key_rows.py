"""The facts of a scoped run's keys, read once: `feed_records` and `orders` of the (chain, reference)
keys of scope.KEYS, as temp tables.

Finding a set of keys reads the whole table (no predicate on its columns selects them; at 10 M
orders each read is seconds of CPU). A scoped run reads the keys' records and orders once here; the
derivation (steps.Ctx.rows) and then the notification enqueue in the same transaction
(outbox.KeyRows) read these small tables instead of scanning the facts again.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from tasks.notify.outbox import KeyRows
from tasks.reconcile.scope import KEYS

RECORDS = "rc_key_records"  # feed_records of the keys ingested by as_of
ORDERS = "rc_key_orders"  # every order of the keys (the steps filter them by as_of)
TABLES = {"feed_records": RECORDS, "orders": ORDERS}


def create(con: duckdb.DuckDBPyConnection, as_of: datetime) -> KeyRows:
    """Fill RECORDS and ORDERS for the keys of scope.KEYS as of `as_of` (naive JST)."""
    con.execute(f"create or replace temp table {RECORDS} as select * from feed_records r"
                f" semi join {KEYS} k on k.chain = r.chain and k.reference = r.reference"
                " where r.ingested_at <= $at", {"at": as_of})
    con.execute(f"create or replace temp table {ORDERS} as select * from orders o"
                f" semi join {KEYS} k on k.chain = o.chain and k.reference = o.payment_reference")
    return KeyRows(keys=KEYS, records=RECORDS, orders=ORDERS, status_as_of=as_of)


def drop(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES.values():
        con.execute(f"drop table if exists {table}")
