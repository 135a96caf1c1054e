"""What the warehouse already holds of an ORDERS file's rows: identical redeliveries and conflicts
(orders-and-master.md), and the rows' registration.

    registered_matches(con, typed) -> (identical rows, reasons (ROW, field, reason))
    insert_orders(con, new, file_id, received_at)

The registered orders sharing an order id or a reference with the file are fetched in one statement
and compared here; customers are fetched only when a row has a registered key. A small file's rows
reach DuckDB as list parameters, not as a registered frame (a fixed cost of every file).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import duckdb
import polars as pl

from tasks.csv_table import LINE
from tasks.order_files import REASONS_SCHEMA, ROW, registered

KEY = ["merchant_id", "order_id"]
REFERENCE = ["chain", "payment_reference"]
ORDER_FIELDS = ("merchant_id", "site_id", "order_id", "chain", "payment_reference", "amount", "tax_mode",
                "tax_amount", "ordered_at", "due_date")
CUSTOMER_FIELDS = ("customer_name_kana", "customer_phone", "customer_email")

# A file of up to SMALL rows goes to DuckDB as list parameters, a larger one as a registered frame
# (Arrow): registering costs ~2 ms whatever the size, lists cost per value (the same SQL either way).
SMALL = 200

# candidates only (an id or a reference in common); the exact key and reference are compared below
_CANDIDATES_SQL = f"""
select {", ".join(ORDER_FIELDS)} from orders
where order_id in (select order_id from {{rows}})
   or payment_reference in (select payment_reference from {{rows}})
"""
_CUSTOMERS_SQL = f"""
select merchant_id, order_id, {", ".join(CUSTOMER_FIELDS)} from order_customers
where order_id in (select order_id from {{rows}})
"""
_INSERT_ORDERS_SQL = (f"insert into orders select {', '.join(ORDER_FIELDS)}, $file_id, {LINE}, $received_at"
                      " from {rows}")
_INSERT_CUSTOMERS_SQL = ("insert into order_customers select merchant_id, order_id, customer_name_kana,"
                         " customer_phone, nullif(customer_email, '') from {rows}")


@contextmanager
def _rows(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> Iterator[tuple[str, dict]]:
    """The frame as a relation for `{rows}` in SQL, and its parameters: inline as list parameters
    when small, else registered for the with-block."""
    if frame.height <= SMALL:
        columns = ", ".join(f"unnest(${c}) as {c}" for c in frame.columns)
        yield f"(select {columns})", {c: frame[c].to_list() for c in frame.columns}
    else:
        with registered(con, "konbini_order_rows", frame):
            yield "konbini_order_rows", {}


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict, schema: dict, small: bool) -> pl.DataFrame:
    """A query's rows as a frame: as tuples when few are possible (no Arrow round trip), else Arrow."""
    if small:
        return pl.DataFrame(con.execute(sql, params).fetchall(), schema=schema, orient="row")
    return con.sql(sql, params=params or None).pl().cast(schema)  # type: ignore[arg-type]


def registered_matches(con: duckdb.DuckDBPyConnection, typed: pl.DataFrame) -> tuple[list[int], pl.DataFrame]:
    """Rows identical to their registered order (same key, same content: no rejection, nothing to
    do) and the conflicts: the same key with other content, a reference used by another order."""
    if typed.is_empty():
        return [], pl.DataFrame(schema=REASONS_SCHEMA)
    schema = {c: typed.schema[c] for c in ORDER_FIELDS}
    with _rows(con, typed.select("order_id", "payment_reference")) as (rows, params):
        stored = _fetch(con, _CANDIDATES_SQL.format(rows=rows), params, schema, typed.height <= SMALL)
    if stored.is_empty():
        return [], pl.DataFrame(schema=REASONS_SCHEMA)
    same_key = typed.join(stored, on=KEY, how="inner", suffix="_o")
    same_reference = typed.join(stored, on=REFERENCE, how="inner", suffix="_o")
    conflicts = pl.concat([
        same_key.select(ROW, pl.lit("order_id").alias("field"), pl.concat_str(
            pl.lit("conflict: order "), "merchant_id", pl.lit(" "), "order_id",
            pl.lit(" is already registered with different content")).alias("reason")),
        same_reference.filter(~((pl.col("merchant_id_o") == pl.col("merchant_id"))
                                & pl.col("order_id_o").eq_missing(pl.col("order_id")))).select(
            ROW, pl.lit("payment_reference").alias("field"), pl.concat_str(
                pl.lit("already used by another order of chain "), "chain",
                pl.lit(" (references are never reused)")).alias("reason")),
    ])
    return _identical(con, same_key), conflicts.cast(REASONS_SCHEMA)  # type: ignore[arg-type]


def _identical(con: duckdb.DuckDBPyConnection, same_key: pl.DataFrame) -> list[int]:
    """Rows of a registered key (a row that passed every form check) whose every field, customer's
    included, is the registered one's (an empty e-mail is stored as null)."""
    same_key = same_key.filter(pl.col("form_ok"))
    if same_key.is_empty():
        return []
    schema = {c: pl.String for c in (*KEY, *CUSTOMER_FIELDS)}
    ids = same_key.select(pl.col("order_id").unique())
    with _rows(con, ids) as (rows, params):
        customers = _fetch(con, _CUSTOMERS_SQL.format(rows=rows), params, schema, ids.height <= SMALL)
    same = [pl.col(c) == pl.col(f"{c}_o") for c in ORDER_FIELDS if c not in KEY]
    same += [pl.col(c) == pl.col(f"{c}_o") for c in CUSTOMER_FIELDS[:2]]
    email = pl.when(pl.col("customer_email") != "").then(pl.col("customer_email"))
    same.append(pl.col("customer_email_o").eq_missing(email))
    both = same_key.join(customers.rename({c: f"{c}_o" for c in CUSTOMER_FIELDS}), on=KEY, how="inner")
    return both.filter(pl.all_horizontal(same).fill_null(False))[ROW].to_list()


def insert_orders(con: duckdb.DuckDBPyConnection, new: pl.DataFrame, file_id: int,
                  received_at: datetime) -> None:
    """Register the new rows (orders and their customers), their columns as list parameters."""
    if new.is_empty():
        return
    with _rows(con, new.select(*ORDER_FIELDS, LINE, *CUSTOMER_FIELDS)) as (rows, params):
        con.execute(_INSERT_ORDERS_SQL.format(rows=rows), {**params, "file_id": file_id,
                                                           "received_at": received_at})
        con.execute(_INSERT_CUSTOMERS_SQL.format(rows=rows), params)
