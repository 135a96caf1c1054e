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
from tasks.master_store import master_for_orders
from tasks.order_files import (
    ROW,
    accept_rows,
    accepted,
    read_rows,
    reasons_frame,
    rejection_rows,
)
from tasks.registered_orders import insert_orders, registered_matches

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

    typed = ready.typed
    # the master rules (judge's `master_reasons`), then what is registered: identical rows and conflicts
    identical_rows, conflicts = registered_matches(con, typed)
    reasons = pl.concat([ready.reasons, master_reasons(con, typed), conflicts])
    if identical_rows:  # a row identical to its registered order is no rejection at all
        reasons = reasons.filter(~pl.col(ROW).is_in(identical_rows))

    # Within the file, rows are taken in line order: the first good row of a key is registered.
    decided = identical_rows + reasons[ROW].to_list()
    candidates = typed.filter(~pl.col(ROW).is_in(decided)) if decided else typed
    in_file_identical, in_file_reasons = _within_file(candidates)
    reasons = pl.concat([reasons, in_file_reasons])
    decided = in_file_identical + in_file_reasons[ROW].to_list()
    new = candidates.filter(~pl.col(ROW).is_in(decided)) if decided else candidates

    new, reasons = claim_references(settings, new, reasons)
    insert_orders(con, new, file_id, received_at)

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


# The current master load's rules of an order row (field, when, reason), over the row joined to its
# merchant (m_*) and site (s_*) of `master_for_orders`; a rule naming a missing (null) value is not met.
_SITE_IS_THE_MERCHANTS = pl.col("s_merchant") == pl.col("merchant_id")
_MASTER_RULES = (
    ("merchant_id", pl.col("merchant_id").is_not_null() & pl.col("m_id").is_null(),
     pl.lit("unknown merchant: not in the current master data")),
    ("merchant_id", pl.col("m_status") != "active",
     pl.concat_str(pl.lit("merchant is "), "m_status", pl.lit(": it takes no new orders"))),
    ("site_id", pl.col("site_id").is_not_null() & pl.col("s_id").is_null(),
     pl.lit("unknown site: not in the current master data")),
    ("site_id", pl.col("m_id").is_not_null() & (pl.col("s_merchant") != pl.col("merchant_id")),
     pl.lit("site belongs to another merchant")),
    ("site_id", (pl.col("s_status") != "active") & _SITE_IS_THE_MERCHANTS,
     pl.concat_str(pl.lit("site is "), "s_status", pl.lit(": it takes no new orders"))),
    ("chain", pl.col("chain").is_not_null() & _SITE_IS_THE_MERCHANTS
     & ~pl.col("s_chains").list.contains(pl.col("chain")),
     pl.concat_str(pl.lit("chain "), "chain", pl.lit(" is not enabled for site "), "site_id")),
)


def master_reasons(con: duckdb.DuckDBPyConnection, typed: pl.DataFrame) -> pl.DataFrame:
    """The current master load's rules for typed rows (ROW, merchant_id, site_id, chain): an active
    merchant, an active site of that merchant, the chain enabled. Every reason (ROW, field, reason).
    The master rows are read once per connection and load (`master_for_orders`)."""
    master = master_for_orders(con)
    rows = (typed.lazy().select(ROW, "merchant_id", "site_id", "chain")
            .join(master.merchants.lazy(), on="merchant_id", how="left")
            .join(master.sites.lazy(), on="site_id", how="left"))
    return pl.concat([rows.filter(when).select(ROW, pl.lit(field).alias("field"), reason.alias("reason"))
                      for field, when, reason in _MASTER_RULES]).collect()


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
