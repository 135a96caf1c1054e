"""An ORDERS file's rules that need no warehouse run ahead of the writer, on the pull's parse thread
(`tasks.orders.prepare`): the file is judged exactly as when its handler prepares it itself."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import polars as pl

from schemas.orders import ORDER_COLUMNS
from tasks.inbox import InboundFile, parse_name
from tasks.inbox_kinds import BY_KIND
from tasks.order_files import ROW, reasons_frame, rejection_rows
from tasks.orders import ingest_orders_file, prepare

from .conftest import AS_OF, BAD_ORDERS, SAMPLE_ORDERS, order_line, orders_file


def _rejections(con, file_id):
    return con.execute("select line_no, field, value, reason from rejections where file_id = ?"
                       " order by line_no, field, reason", [file_id]).fetchall()


def test_the_pull_prepares_order_files_ahead():
    assert BY_KIND["ORDERS"].prepare is prepare and BY_KIND["API_ORDERS"].prepare is prepare


def _judged(con, f: InboundFile, settings):
    """The handler's outcome and stored rejections, in a transaction rolled back afterwards."""
    con.execute("begin")
    try:
        out = ingest_orders_file(con, f, AS_OF, settings)
        return out, _rejections(con, out.file_id)
    finally:
        con.execute("rollback")


def test_a_file_prepared_ahead_is_judged_as_when_prepared_inline(con, ingest, settings):
    sample = InboundFile(parse_name("orders", SAMPLE_ORDERS.name), SAMPLE_ORDERS.read_bytes())
    ingest(ingest_orders_file, sample)
    lines = BAD_ORDERS.read_text(encoding="utf-8").splitlines()[1:]
    lines += [order_line("T-1", merchant="M000009"), order_line("T-2", site="S000002"),  # master rules
              order_line("T-3", reference="1000000000001"),  # the reference of a registered order
              order_line("T-4", reference="1000000000104")]  # a good row
    inline, inline_rows = _judged(con, orders_file(lines, seq=2), settings)
    ahead = orders_file(lines, seq=2)
    with ThreadPoolExecutor(1) as parsing:  # as the pull does (tasks.ingest._fetch)
        ahead.parsed = parsing.submit(prepare, ahead, settings).result
        out, rows = _judged(con, ahead, settings)
    assert out.state == inline.state == "accepted"
    assert out.counts == inline.counts == {"orders": 1, "identical": 0, "rejected_rows": 8}
    assert out.reasons == inline.reasons and rows == inline_rows and len(rows) == 8


def test_a_file_without_rejections_has_the_columns_of_one_with_some():
    raw = pl.DataFrame([[0, 2, "M000001", "S000001", "T-1"] + [""] * 10], orient="row",
                       schema={ROW: pl.Int64, "line_no": pl.Int64} | {c: pl.String for c in ORDER_COLUMNS})
    none = rejection_rows(raw, reasons_frame([]), ORDER_COLUMNS, [])
    some = rejection_rows(raw, reasons_frame([(0, "amount", "must be from 1 to 300,000 yen")]),
                          ORDER_COLUMNS, [])
    assert none.height == 0 and some.height == 1
    assert none.schema == some.schema
