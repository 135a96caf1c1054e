"""The order feed (注文): the inbox handler of ORDERS files (orders-and-master.md).

    ingest_orders_file(con, f, as_of, settings) -> FileOutcome
    prepare(f, settings) -> Prepared      # its rules needing no warehouse, run ahead by the pull

Called by `tasks.ingest` inside its transaction with one inbound file (merchant cancellations:
tasks/cancellations.py; what both share: tasks/order_files.py). A file that is not UTF-8 or lacks
a required column is quarantined whole. Otherwise it is accepted and each row is judged on its own:
the whole file is validated as one Polars frame (Pandera, see schemas/orders.py), then joined in
DuckDB against the current master load and what is already registered; no per-row SQL. Good rows
are inserted, every reason for a bad row goes to `rejections` (one row per reason) and to a
rejection report CSV for the merchant's front end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from schemas.orders import (
    ORDER_COLUMNS,
    ORDER_FORM,
    ORDER_RULES,
    failures,
    parse_date,
    parse_int,
    parse_iso_offset,
)
from tasks.api_orders.references import claim_references
from tasks.csv_table import LINE, CsvTable
from tasks.inbox import FileOutcome, InboundFile
from tasks.order_files import (
    ROW,
    accept_rows,
    accepted,
    read_rows,
    reasons_frame,
    registered,
    rejection_rows,
)

# Columns compared to tell an identical redelivery from a conflict (everything the row says).
_CONTENT = ORDER_COLUMNS


def ingest_orders_file(
    con: duckdb.DuckDBPyConnection, f: InboundFile, as_of: datetime, settings
) -> FileOutcome:
    """Register the orders of one ORDERS file; see the module docstring."""
    ready = f.prepared(prepare, settings)
    rows = accept_rows(con, f, as_of, settings, ready.table)
    if isinstance(rows, FileOutcome):
        return rows
    received_at, file_id, raw = rows.received_at, rows.file_id, rows.raw

    typed, reasons = ready.typed, ready.reasons
    # the master rules (judge's `master_reasons`), identical rows and conflicts: one registration and
    # one statement, each a fixed cost of every file
    with registered(con, "konbini_incoming_orders", typed):
        found = con.execute(_WAREHOUSE_SQL).fetchall()
    identical_rows = [row for row, field, _ in found if field is None]
    reasons = pl.concat([reasons, reasons_frame([r for r in found if r[1] is not None])])
    reasons = reasons.filter(~pl.col(ROW).is_in(identical_rows))

    # Within the file, rows are taken in line order: the first good row of a key is registered.
    candidates = typed.filter(~pl.col(ROW).is_in(identical_rows) & ~pl.col(ROW).is_in(reasons[ROW].implode()))
    in_file_identical, in_file_reasons = _within_file(candidates)
    reasons = pl.concat([reasons, in_file_reasons])
    new = candidates.filter(
        ~pl.col(ROW).is_in(in_file_identical) & ~pl.col(ROW).is_in(in_file_reasons[ROW].implode())
    )

    new, reasons = claim_references(settings, new, reasons)
    with registered(con, "konbini_new_orders", new.with_columns(pl.lit(file_id).alias("file_id"))):
        con.execute(
            f"insert into orders select merchant_id, site_id, order_id, chain, payment_reference, amount,"
            f" tax_mode, tax_amount, ordered_at, due_date, file_id, {LINE}, ? from konbini_new_orders",
            [received_at],
        )
        con.execute(
            "insert into order_customers select merchant_id, order_id, customer_name_kana, customer_phone,"
            " nullif(customer_email, '') from konbini_new_orders"
        )

    rejected = rejection_rows(raw, reasons, ORDER_COLUMNS, rows.row_reasons)
    counts = {"orders": new.height, "identical": len(identical_rows) + len(in_file_identical)}
    return accepted(con, f, file_id, settings, rejected, counts)


@dataclass
class Prepared:
    """An ORDERS file read and judged by the rules that need no warehouse (`judge_form`); `typed`
    and `reasons` are None when the file cannot be read as a table."""

    table: CsvTable
    typed: pl.DataFrame | None = None
    reasons: pl.DataFrame | None = None


def prepare(f: InboundFile, settings) -> Prepared:
    """All of an ORDERS file's work that needs no warehouse, which the pull runs ahead of the
    writer (tasks.ingest) while the file before is stored."""
    table = read_rows(f, ORDER_COLUMNS)
    if table.frame is None:
        return Prepared(table)
    return Prepared(table, *judge_form(table.frame))


def master_reasons(con: duckdb.DuckDBPyConnection, typed: pl.DataFrame) -> pl.DataFrame:
    """The current master load's rules for typed rows (ROW, merchant_id, site_id, chain): an active
    merchant, an active site of that merchant, the chain enabled. Every reason (ROW, field, reason)."""
    with registered(con, "konbini_incoming_orders", typed):
        return reasons_frame(con.execute(_MASTER_SQL).fetchall())  # few rows: no Arrow round trip


def judge(
    con: duckdb.DuckDBPyConnection, raw: pl.DataFrame, evaluate: Callable = failures,
    master: Callable = master_reasons,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rule set of an order row, for a file's rows and the API's alike: the form of each field,
    the rules between fields, and the current master load (`current_merchants`, `current_sites`
    on `con`). Returns the typed rows and every reason (ROW, field, reason). `evaluate` runs the
    Pandera schemas: `failures`, or `quick_failures` (the same checks, for a request's few rows);
    `master` answers the master rules: `master_reasons`, or the API's remembered answers of it."""
    typed, reasons = judge_form(raw, evaluate)
    return typed, pl.concat([reasons, master(con, typed)])


def judge_form(raw: pl.DataFrame, evaluate: Callable = failures) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rules of `judge` that need no warehouse: each field's form and the rules between fields."""
    form = evaluate(ORDER_FORM, raw)
    typed = _typed_orders(raw, form)
    return typed, pl.concat([form, evaluate(ORDER_RULES, typed)])


def _typed_orders(raw: pl.DataFrame, form: pl.DataFrame) -> pl.DataFrame:
    """Typed columns; a field that failed its form check is null (so no rule judges it again)."""
    typed = raw.with_columns(
        parse_int("amount").alias("amount"),
        parse_int("tax_amount").alias("tax_amount"),
        parse_iso_offset("ordered_at").alias("ordered_at"),
        parse_date("due_date").alias("due_date"),
        (~pl.col(ROW).is_in(form[ROW].implode())).alias("form_ok"),
    )
    for name, bad in form.group_by("field").agg(pl.col(ROW)).iter_rows():
        typed = typed.with_columns(pl.when(~pl.col(ROW).is_in(bad)).then(pl.col(name)).alias(name))
    return typed


# A row identical to its registered order (same key, same content) changes nothing and is no rejection
# (no field, no reason: asked in one statement with the conflicts below).
_IDENTICAL_SQL = f"""
select n.{ROW}, null::varchar as field, null::varchar as reason from konbini_incoming_orders n
join orders o on o.merchant_id = n.merchant_id and o.order_id = n.order_id
join order_customers c on c.merchant_id = o.merchant_id and c.order_id = o.order_id
where n.form_ok
  and o.site_id = n.site_id and o.chain = n.chain and o.payment_reference = n.payment_reference
  and o.amount = n.amount and o.tax_mode = n.tax_mode and o.tax_amount = n.tax_amount
  and o.ordered_at = n.ordered_at and o.due_date = n.due_date
  and c.customer_name_kana = n.customer_name_kana and c.customer_phone = n.customer_phone
  and c.customer_email is not distinct from nullif(n.customer_email, '')
"""

# Conflicts with registered orders: the same key with other content; a reference used by another order.
_REGISTERED_SQL = f"""
select n.{ROW}, 'order_id' as field,
       'conflict: order ' || n.merchant_id || ' ' || n.order_id
       || ' is already registered with different content' as reason
from konbini_incoming_orders n
join orders o on o.merchant_id = n.merchant_id and o.order_id = n.order_id
union all
select n.{ROW}, 'payment_reference',
       'already used by another order of chain ' || n.chain || ' (references are never reused)'
from konbini_incoming_orders n
join orders o on o.chain = n.chain and o.payment_reference = n.payment_reference
where not (o.merchant_id = n.merchant_id and o.order_id is not distinct from n.order_id)
"""

# The current master load: an active merchant, an active site of that merchant, the chain enabled.
_MASTER_SQL = f"""
with j as (
    select n.{ROW}, n.merchant_id, n.site_id, n.chain,
           m.merchant_id as m_id, m.status as m_status,
           s.site_id as s_id, s.merchant_id as s_merchant, s.status as s_status, s.chains as s_chains
    from konbini_incoming_orders n
    left join current_merchants m on m.merchant_id = n.merchant_id
    left join current_sites s on s.site_id = n.site_id
)
select {ROW}, 'merchant_id' as field, 'unknown merchant: not in the current master data' as reason
from j where merchant_id is not null and m_id is null
union all
select {ROW}, 'merchant_id', 'merchant is ' || m_status || ': it takes no new orders'
from j where m_status <> 'active'
union all
select {ROW}, 'site_id', 'unknown site: not in the current master data'
from j where site_id is not null and s_id is null
union all
select {ROW}, 'site_id', 'site belongs to another merchant'
from j where m_id is not null and s_merchant <> merchant_id
union all
select {ROW}, 'site_id', 'site is ' || s_status || ': it takes no new orders'
from j where s_status <> 'active' and s_merchant = merchant_id
union all
select {ROW}, 'chain', 'chain ' || chain || ' is not enabled for site ' || site_id
from j where chain is not null and s_merchant = merchant_id and not list_contains(s_chains, chain)
"""

_WAREHOUSE_SQL = f"{_MASTER_SQL} union all {_IDENTICAL_SQL} union all {_REGISTERED_SQL}"


def _within_file(candidates: pl.DataFrame) -> tuple[list[int], pl.DataFrame]:
    """Rows of this file that repeat a key or a reference of an earlier good row of the file.

    Taken in line order, as if each row were its own delivery: a repeat with the same content is
    identical, the same key with other content a conflict, the same reference under another key a
    reuse. Only rows involved in a repeat are looked at one by one (few in practice).
    """
    key = ["merchant_id", "order_id"]
    ref = ["chain", "payment_reference"]
    involved = candidates.filter((pl.len().over(key) > 1) | (pl.len().over(ref) > 1)).sort(ROW)
    identical: list[int] = []
    reasons: list[tuple[int, str, str]] = []
    by_key: dict[tuple, dict] = {}
    by_ref: dict[tuple, dict] = {}  # reference -> the row that took it
    for row in involved.iter_rows(named=True):
        k, r = (row["merchant_id"], row["order_id"]), (row["chain"], row["payment_reference"])
        first = by_key.get(k)
        if first is not None:
            if all(first[c] == row[c] for c in _CONTENT):
                identical.append(row[ROW])
            else:
                reasons.append((row[ROW], "order_id", f"conflict: order {k[0]} {k[1]} appears at line "
                                f"{first[LINE]} of this file with different content"))
        elif r in by_ref:
            reasons.append((row[ROW], "payment_reference", f"already used by another order of chain {r[0]}"
                            f" at line {by_ref[r][LINE]} of this file (references are never reused)"))
        else:
            by_key[k] = by_ref[r] = row
    return identical, reasons_frame(reasons)
