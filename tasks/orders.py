"""The order feed (注文) and merchant cancellations (注文取消): the handlers the pull calls.

Both are called by `tasks.ingest` inside its transaction with one inbound file:
`ingest_orders_file(con, f, as_of, settings)` and `ingest_cancellations_file(con, f, as_of, settings)`.
A file that is not UTF-8 or lacks a required column is quarantined whole. Otherwise it is accepted
and each row is judged on its own: the whole file is validated as one Polars frame (Pandera, see
schemas/orders.py), then joined in DuckDB against the current master load and what is already
registered; no per-row SQL. Good rows are inserted, every reason for a bad row goes to
`rejections` (one row per reason) and to a rejection report CSV for the merchant's front end.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from schemas.orders import (
    CANCEL_COLUMNS,
    CANCEL_FORM,
    ORDER_COLUMNS,
    ORDER_FORM,
    ORDER_RULES,
    PERSONAL_COLUMNS,
    failures,
    parse_date,
    parse_int,
    parse_iso_offset,
)
from tasks.clock import naive_jst
from tasks.inbox import FileOutcome, InboundFile, Reason, record_file
from tasks.master import LINE, read_csv

ROW = "row"  # 0-based index of a data row in the frame
REPORT_COLUMNS = ("file", "line", "merchant_id", "order_id", "field", "value", "reason")
_REASONS_SCHEMA = {ROW: pl.Int64, "field": pl.String, "reason": pl.String}
# Columns compared to tell an identical redelivery from a conflict (everything the row says).
_CONTENT = ORDER_COLUMNS
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------------------------------- orders
def ingest_orders_file(
    con: duckdb.DuckDBPyConnection, f: InboundFile, as_of: datetime, settings
) -> FileOutcome:
    """Register the orders of one ORDERS file; see the module docstring."""
    received_at = naive_jst(as_of)
    table = read_csv(f.content, ORDER_COLUMNS)
    if table.frame is None:
        return _quarantine(con, f, received_at, table.file_reasons, settings)
    file_id = record_file(con, f, "accepted", received_at)
    raw = table.frame.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64))

    form = failures(ORDER_FORM, raw)
    typed = _typed_orders(raw, form)
    reasons = pl.concat([form, failures(ORDER_RULES, typed)])

    with _registered(con, "konbini_incoming_orders", typed):
        identical_rows = _rows(con, _IDENTICAL_SQL)
        reasons = pl.concat([reasons, _sql_reasons(con, _REGISTERED_SQL), _sql_reasons(con, _MASTER_SQL)])
    reasons = reasons.filter(~pl.col(ROW).is_in(identical_rows))

    # Within the file, rows are taken in line order: the first good row of a key is registered.
    candidates = typed.filter(~pl.col(ROW).is_in(identical_rows) & ~pl.col(ROW).is_in(reasons[ROW].implode()))
    in_file_identical, in_file_reasons = _within_file(candidates)
    reasons = pl.concat([reasons, in_file_reasons])
    new = candidates.filter(
        ~pl.col(ROW).is_in(in_file_identical) & ~pl.col(ROW).is_in(in_file_reasons[ROW].implode())
    )

    with _registered(con, "konbini_new_orders", new.with_columns(pl.lit(file_id).alias("file_id"))):
        con.execute(
            f"insert into orders select merchant_id, site_id, order_id, chain, payment_reference, amount,"
            f" tax_mode, tax_amount, ordered_at, due_date, file_id, {LINE}, ? from konbini_new_orders",
            [received_at],
        )
        con.execute(
            "insert into order_customers select merchant_id, order_id, customer_name_kana, customer_phone,"
            " nullif(customer_email, '') from konbini_new_orders"
        )

    rejected = _rejection_rows(raw, reasons, ORDER_COLUMNS, table.row_reasons)
    counts = {"orders": new.height, "identical": len(identical_rows) + len(in_file_identical)}
    return _accepted(con, f, file_id, settings, rejected, counts)


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


# A row identical to its registered order (same key, same content) changes nothing and is no rejection.
_IDENTICAL_SQL = f"""
select n.{ROW} from konbini_incoming_orders n
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
    return identical, pl.DataFrame(reasons, schema=_REASONS_SCHEMA, orient="row")


# ---------------------------------------------------------------------------------- cancellations
def ingest_cancellations_file(
    con: duckdb.DuckDBPyConnection, f: InboundFile, as_of: datetime, settings
) -> FileOutcome:
    """Decide the merchant cancellations of one ORDER_CANCELS file, once and for all.

    Rejected when the order is unknown, already cancelled (before, or earlier in this file), or
    already has a 01 or 02 ingested for its chain and reference; stored otherwise.
    """
    received_at = naive_jst(as_of)
    table = read_csv(f.content, CANCEL_COLUMNS)
    if table.frame is None:
        return _quarantine(con, f, received_at, table.file_reasons, settings)
    file_id = record_file(con, f, "accepted", received_at)
    raw = table.frame.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64))

    form = failures(CANCEL_FORM, raw)
    typed = raw.filter(~pl.col(ROW).is_in(form[ROW].implode())).with_columns(
        parse_iso_offset("cancelled_at").alias("cancelled_at")
    )
    with _registered(con, "konbini_incoming_cancels", typed):
        decided = _sql_reasons(con, _CANCEL_SQL)
    good = typed.filter(~pl.col(ROW).is_in(decided[ROW].implode())).sort(ROW)
    repeat = good.filter(pl.col(ROW) != pl.col(ROW).first().over("merchant_id", "order_id"))
    first_line = good.group_by("merchant_id", "order_id").agg(pl.col(LINE).first().alias("first_line"))
    repeats = repeat.join(first_line, on=["merchant_id", "order_id"]).select(
        ROW,
        pl.lit("order_id").alias("field"),
        pl.format("already cancelled at line {} of this file", pl.col("first_line")).alias("reason"),
    )
    new = good.filter(~pl.col(ROW).is_in(repeats[ROW].implode()))
    with _registered(con, "konbini_new_cancels", new):
        con.execute(
            f"insert into order_cancellations select merchant_id, order_id, cancelled_at, ?, {LINE}, ?"
            " from konbini_new_cancels",
            [file_id, received_at],
        )
    rejected = _rejection_rows(raw, pl.concat([form, decided, repeats]), CANCEL_COLUMNS, table.row_reasons)
    return _accepted(con, f, file_id, settings, rejected, {"cancellations": new.height})


def _accepted(con, f: InboundFile, file_id: int, settings, rejected: pl.DataFrame,
              counts: dict[str, int]) -> FileOutcome:
    """An accepted file's ending: its rows' rejections stored and reported, and its outcome."""
    _store_rejections(con, file_id, rejected)
    if rejected.height:
        write_rejection_report(settings, f.meta.name, rejected)
    return FileOutcome(
        name=f.meta.name,
        kind=f.meta.kind,
        state="accepted",
        file_id=file_id,
        reasons=_as_reasons(rejected),
        counts={**counts, "rejected_rows": rejected[LINE].n_unique()},
    )


_CANCEL_SQL = f"""
with j as (
    select n.{ROW}, n.merchant_id, n.order_id, o.order_id as o_id, o.chain, o.payment_reference,
           c.order_id as c_id
    from konbini_incoming_cancels n
    left join orders o on o.merchant_id = n.merchant_id and o.order_id = n.order_id
    left join order_cancellations c on c.merchant_id = n.merchant_id and c.order_id = n.order_id
), paid as (
    select distinct j.{ROW} from j
    join feed_records r on r.chain = j.chain and r.reference = j.payment_reference and r.kind in ('01', '02')
)
select {ROW}, 'order_id' as field, 'unknown order: no order ' || merchant_id || ' ' || order_id
       || ' is registered' as reason
from j where o_id is null
union all
select {ROW}, 'order_id', 'already cancelled' from j where c_id is not null
union all
select {ROW}, 'order_id', 'the order already has a payment result (01 or 02): it can no longer be cancelled'
from j where c_id is null and {ROW} in (select {ROW} from paid)
"""


# ------------------------------------------------------------------------------------- helpers
class _registered:
    """A Polars frame visible to DuckDB under `name` for the duration of a with-block."""

    def __init__(self, con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame):
        self.con, self.name, self.frame = con, name, frame

    def __enter__(self):
        self.con.register(self.name, self.frame)
        return self

    def __exit__(self, *exc):
        self.con.unregister(self.name)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[int]:
    return [r for (r,) in con.execute(sql).fetchall()]


def _sql_reasons(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return con.sql(sql).pl().cast(_REASONS_SCHEMA)  # type: ignore[arg-type]


def _quarantine(con, f: InboundFile, received_at: datetime, reasons: list[Reason], settings) -> FileOutcome:
    """A file that cannot be read as a table is rejected whole, with its reasons."""
    file_id = record_file(con, f, "quarantined", received_at, reasons)
    rows = pl.DataFrame(
        {
            LINE: [r.line_no for r in reasons], "merchant_id": [None] * len(reasons),
            "order_id": [None] * len(reasons), "field": [r.field for r in reasons],
            "value": [r.value for r in reasons], "reason": [r.reason for r in reasons],
        },
        schema={LINE: pl.Int64, "merchant_id": pl.String, "order_id": pl.String,
                "field": pl.String, "value": pl.String, "reason": pl.String},
    )
    write_rejection_report(settings, f.meta.name, rows)
    return FileOutcome(f.meta.name, f.meta.kind, "quarantined", file_id, list(reasons), {"rejected_rows": 0})


def _rejection_rows(
    raw: pl.DataFrame, reasons: pl.DataFrame, columns: tuple[str, ...], row_reasons: list[Reason]
) -> pl.DataFrame:
    """One row per reason: line, merchant_id, order_id, field, value (never personal data), reason;
    sorted by line, then the field's column position, then reason (deterministic)."""
    public = [c for c in columns if c not in PERSONAL_COLUMNS]
    rejected_rows = raw.filter(pl.col(ROW).is_in(reasons[ROW].implode()))
    values = rejected_rows.unpivot(index=ROW, on=public, variable_name="field", value_name="value")
    order = pl.DataFrame({"field": list(columns), "field_pos": list(range(len(columns)))})
    rows = (
        reasons.unique()
        .join(values, on=[ROW, "field"], how="left")
        .join(rejected_rows.select(ROW, LINE, "merchant_id", "order_id"), on=ROW, how="left")
        .drop(ROW)
    )
    unsplit = pl.DataFrame(
        {LINE: [r.line_no for r in row_reasons], "field": [None] * len(row_reasons),
         "reason": [r.reason for r in row_reasons]},
        schema={LINE: pl.Int64, "field": pl.String, "reason": pl.String},
    )
    return (
        pl.concat([rows, unsplit], how="diagonal")
        .join(order, on="field", how="left")
        .sort([LINE, "field_pos", "reason"], nulls_last=False)
        .select(LINE, "merchant_id", "order_id", "field", "value", "reason")
    )


def _store_rejections(con: duckdb.DuckDBPyConnection, file_id: int, rejected: pl.DataFrame) -> None:
    if rejected.height:
        with _registered(con, "konbini_rejected", rejected):
            con.execute(
                f"insert into rejections select ?, {LINE}, field, value, reason from konbini_rejected",
                [file_id],
            )


def _as_reasons(rejected: pl.DataFrame) -> list[Reason]:
    return [Reason(r["reason"], r[LINE], r["field"], r["value"]) for r in rejected.iter_rows(named=True)]


def rejection_report_path(settings, file_name: str) -> Path:
    return Path(settings.out_dir) / "rejections" / f"{file_name}.rejections.csv"


def rejection_report_bytes(file_name: str, rejected: pl.DataFrame) -> bytes:
    """The order rejection report: UTF-8, header, CRLF, one line per reason, no personal data.

    Text cells starting with = + - @ tab or CR get a leading ' so a spreadsheet does not run them.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(REPORT_COLUMNS)
    for r in rejected.iter_rows(named=True):
        w.writerow([_cell(file_name), "" if r[LINE] is None else r[LINE], *(
            _cell(r[c]) for c in ("merchant_id", "order_id", "field", "value", "reason"))])
    return buf.getvalue().encode("utf-8")


def write_rejection_report(settings, file_name: str, rejected: pl.DataFrame) -> Path:
    """Write the report beside the others (atomically: a reader never sees half a file)."""
    path = rejection_report_path(settings, file_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(rejection_report_bytes(file_name, rejected))
    os.replace(tmp, path)
    return path


def _cell(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value

