"""What the warehouse already holds of an ORDERS file's rows: identical redeliveries and conflicts
(orders-and-master.md), and the rows' registration.

    registered_matches(con, typed) -> (identical rows, reasons (ROW, field, reason))
    insert_orders(con, new, file_id, received_at)

The registered orders sharing an order id or a reference with the file are fetched in one statement
(the file's ids as list parameters: no frame registered, a fixed cost of every file) and compared
here; customers are fetched only when a row has a registered key.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from tasks.csv_table import LINE
from tasks.order_files import REASONS_SCHEMA, ROW

KEY = ["merchant_id", "order_id"]
REFERENCE = ["chain", "payment_reference"]
ORDER_FIELDS = ("merchant_id", "site_id", "order_id", "chain", "payment_reference", "amount", "tax_mode",
                "tax_amount", "ordered_at", "due_date")
CUSTOMER_FIELDS = ("customer_name_kana", "customer_phone", "customer_email")

# candidates only (an id or a reference in common); the exact key and reference are compared below
_CANDIDATES_SQL = f"""
select {", ".join(ORDER_FIELDS)} from orders
where order_id in (select unnest($1)) or payment_reference in (select unnest($2))
"""
_CUSTOMERS_SQL = f"""
select merchant_id, order_id, {", ".join(CUSTOMER_FIELDS)} from order_customers
where order_id in (select unnest($1))
"""


def registered_matches(con: duckdb.DuckDBPyConnection, typed: pl.DataFrame) -> tuple[list[int], pl.DataFrame]:
    """Rows identical to their registered order (same key, same content: no rejection, nothing to
    do) and the conflicts: the same key with other content, a reference used by another order."""
    ids = typed["order_id"].drop_nulls().unique().to_list()
    references = typed["payment_reference"].drop_nulls().unique().to_list()
    found = con.execute(_CANDIDATES_SQL, [ids, references]).fetchall() if ids or references else []
    if not found:
        return [], pl.DataFrame(schema=REASONS_SCHEMA)
    stored = pl.DataFrame(found, schema={c: typed.schema[c] for c in ORDER_FIELDS}, orient="row")
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
    found = con.execute(_CUSTOMERS_SQL, [same_key["order_id"].unique().to_list()]).fetchall()
    customers = pl.DataFrame(found, schema={c: pl.String for c in (*KEY, *CUSTOMER_FIELDS)}, orient="row")
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
    n = len(ORDER_FIELDS)
    values = ", ".join(f"unnest(${i})" for i in range(1, n + 1))
    con.execute(f"insert into orders select {values}, ${n + 2}, unnest(${n + 1}), ${n + 3}",
                [*(new[c].to_list() for c in (*ORDER_FIELDS, LINE)), file_id, received_at])
    con.execute("insert into order_customers select m, o, kana, phone, nullif(email, '') from (select"
                " unnest($1) m, unnest($2) o, unnest($3) kana, unnest($4) phone, unnest($5) email)",
                [new[c].to_list() for c in (*KEY, *CUSTOMER_FIELDS)])
