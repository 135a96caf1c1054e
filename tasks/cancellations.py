"""Merchant cancellations (注文取消): the inbox handler of ORDER_CANCELS files (orders-and-master.md).

    ingest_cancellations_file(con, f, as_of, settings) -> FileOutcome

Called by `tasks.ingest` inside its transaction. A file that is not UTF-8 or lacks a required column
is quarantined whole; otherwise each row is decided once, when its file is processed.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from schemas.orders import CANCEL_COLUMNS, CANCEL_FORM, failures, parse_iso_offset
from tasks.csv_table import LINE
from tasks.inbox import FileOutcome, InboundFile
from tasks.order_files import (
    ROW,
    accept_rows,
    accepted,
    read_rows,
    registered,
    rejection_rows,
    sql_reasons,
)


def ingest_cancellations_file(
    con: duckdb.DuckDBPyConnection, f: InboundFile, as_of: datetime, settings
) -> FileOutcome:
    """Decide the merchant cancellations of one ORDER_CANCELS file, once and for all.

    Rejected when the order is unknown, already cancelled (before, or earlier in this file), or
    already has a 01 or 02 ingested for its chain and reference; stored otherwise.
    """
    rows = accept_rows(con, f, as_of, settings, read_rows(f, CANCEL_COLUMNS))
    if isinstance(rows, FileOutcome):
        return rows
    received_at, file_id, raw = rows.received_at, rows.file_id, rows.raw

    form = failures(CANCEL_FORM, raw)
    typed = raw.filter(~pl.col(ROW).is_in(form[ROW].implode())).with_columns(
        parse_iso_offset("cancelled_at").alias("cancelled_at")
    )
    with registered(con, "konbini_incoming_cancels", typed):
        decided = sql_reasons(con, _CANCEL_SQL)
    good = typed.filter(~pl.col(ROW).is_in(decided[ROW].implode())).sort(ROW)
    repeat = good.filter(pl.col(ROW) != pl.col(ROW).first().over("merchant_id", "order_id"))
    first_line = good.group_by("merchant_id", "order_id").agg(pl.col(LINE).first().alias("first_line"))
    repeats = repeat.join(first_line, on=["merchant_id", "order_id"]).select(
        ROW,
        pl.lit("order_id").alias("field"),
        pl.format("already cancelled at line {} of this file", pl.col("first_line")).alias("reason"),
    )
    new = good.filter(~pl.col(ROW).is_in(repeats[ROW].implode()))
    with registered(con, "konbini_new_cancels", new):
        con.execute(
            f"insert into order_cancellations select merchant_id, order_id, cancelled_at, ?, {LINE}, ?"
            " from konbini_new_cancels",
            [file_id, received_at],
        )
    rejected = rejection_rows(raw, pl.concat([form, decided, repeats]), CANCEL_COLUMNS, rows.row_reasons)
    return accepted(con, f, file_id, settings, rejected, {"cancellations": new.height})


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
