"""What the order feed and the merchant cancellations share: their rows judged as Polars frames
and DuckDB relations, and the ending of a file: accepted (each rejected row stored with every reason
and written to the rejection report for the merchant's front end) or quarantined whole.

    read_rows(f, columns) -> CsvTable     # no warehouse needed: may run ahead of the writer
    accept_rows(con, f, as_of, settings, table) -> Rows | FileOutcome   # quarantined: the outcome
    registered(con, name, frame)          # a frame visible to DuckDB under `name` in a with-block
    reasons_frame(rows) / sql_reasons(con, sql) -> pl.DataFrame   # (ROW, field, reason)
    accepted(con, f, file_id, settings, rejected, counts) -> FileOutcome
    quarantine(con, f, received_at, reasons, settings) -> FileOutcome
    rejection_rows(raw, reasons, columns, row_reasons) -> pl.DataFrame
    rejection_report_path(settings, file_name) -> Path
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from schemas.orders import PERSONAL_COLUMNS
from tasks.clock import naive_jst
from tasks.csv_table import LINE, CsvTable, read_csv
from tasks.inbox import FileOutcome, InboundFile, Reason, record_file

ROW = "row"  # 0-based index of a data row in the frame
REPORT_COLUMNS = ("file", "line", "merchant_id", "order_id", "field", "value", "reason")
REASONS_SCHEMA = {ROW: pl.Int64, "field": pl.String, "reason": pl.String}
# a file's rejected rows: one row per reason (rejection_rows, quarantine)
REJECTED_SCHEMA = {LINE: pl.Int64, "merchant_id": pl.String, "order_id": pl.String,
                   "field": pl.String, "value": pl.String, "reason": pl.String}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Rows:
    """An accepted file's data rows as strings: `raw` has ROW (0-based), LINE and the columns."""

    received_at: datetime
    file_id: int
    raw: pl.DataFrame
    row_reasons: list[Reason]  # rows that could not be split into the header's fields


def read_rows(f: InboundFile, columns: tuple[str, ...]) -> CsvTable:
    """The file as a CSV table whose frame (if it could be read) also has ROW: no warehouse needed."""
    table = read_csv(f.content, columns)
    if table.frame is not None:
        table.frame = table.frame.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64))
    return table


def accept_rows(con, f: InboundFile, as_of: datetime, settings, table: CsvTable) -> Rows | FileOutcome:
    """Record the file accepted, given its table (`read_rows`); a file that cannot be read as one
    (not UTF-8, a required column missing) is quarantined whole and its outcome returned."""
    received_at = naive_jst(as_of)
    if table.frame is None:
        return quarantine(con, f, received_at, table.file_reasons, settings)
    file_id = record_file(con, f, "accepted", received_at)
    return Rows(received_at, file_id, table.frame, table.row_reasons)


def accepted(con, f: InboundFile, file_id: int, settings, rejected: pl.DataFrame,
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


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> Iterator[None]:
    """A Polars frame visible to DuckDB under `name` for the duration of a with-block."""
    con.register(name, frame)
    try:
        yield
    finally:
        con.unregister(name)


def reasons_frame(rows: list[tuple]) -> pl.DataFrame:
    """(ROW, field, reason) tuples as a frame of REASONS_SCHEMA."""
    return pl.DataFrame(rows, schema=REASONS_SCHEMA, orient="row")


def sql_reasons(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    # few rows, usually none: fetched as tuples, no Arrow round trip (a per-file fixed cost)
    return reasons_frame(con.execute(sql).fetchall())


def quarantine(con, f: InboundFile, received_at: datetime, reasons: list[Reason], settings) -> FileOutcome:
    """A file that cannot be read as a table is rejected whole, with its reasons."""
    file_id = record_file(con, f, "quarantined", received_at, reasons)
    rows = pl.DataFrame(
        {
            LINE: [r.line_no for r in reasons], "merchant_id": [None] * len(reasons),
            "order_id": [None] * len(reasons), "field": [r.field for r in reasons],
            "value": [r.value for r in reasons], "reason": [r.reason for r in reasons],
        },
        schema=REJECTED_SCHEMA,
    )
    write_rejection_report(settings, f.meta.name, rows)
    return FileOutcome(f.meta.name, f.meta.kind, "quarantined", file_id, list(reasons), {"rejected_rows": 0})


def rejection_rows(
    raw: pl.DataFrame, reasons: pl.DataFrame, columns: tuple[str, ...], row_reasons: list[Reason]
) -> pl.DataFrame:
    """One row per reason: line, merchant_id, order_id, field, value (never personal data), reason;
    sorted by line, then the field's column position, then reason (deterministic)."""
    if reasons.is_empty() and not row_reasons:  # the usual file: ~10 Polars queries saved
        return pl.DataFrame(schema=REJECTED_SCHEMA)
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
        with registered(con, "konbini_rejected", rejected):
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
