"""The UTF-8 CSV files people send us with a header row (the order feed, merchant cancellations,
the merchant master), read into string columns; no value is judged here.

    read_csv(content: bytes, required: tuple[str, ...]) -> CsvTable
    LINE    # the frame's column holding the line where each row starts (the header is line 1)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import polars as pl

from tasks.inbox import Reason

LINE = "line_no"  # column of a CSV frame: the line where the row starts (the header is line 1)


@dataclass
class CsvTable:
    """A UTF-8 CSV file with a header, as strings: `frame` has LINE then the required columns.

    `file_reasons` make the whole file unusable (not UTF-8, no header, a required column missing);
    `row_reasons` are rows that could not be split into the header's fields (left out of `frame`).
    """

    frame: pl.DataFrame | None
    file_reasons: list[Reason] = field(default_factory=list)
    row_reasons: list[Reason] = field(default_factory=list)


def read_csv(content: bytes, required: tuple[str, ...]) -> CsvTable:
    """Split a UTF-8 CSV (fields may be double-quoted) into string columns; no value is judged here.

    A UTF-8 byte-order mark is accepted; columns beyond the required ones are ignored; an empty
    line is not a row.
    """
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as e:
        line = content[: e.start].count(b"\n") + 1
        return CsvTable(None, [Reason(f"not UTF-8: byte 0x{content[e.start]:02X} at offset {e.start}", line)])
    physical = io.StringIO(text.removeprefix("\ufeff"), newline="").readlines()
    try:
        records, starts = _records(physical)
    except csv.Error as e:
        return CsvTable(None, [Reason(f"not a readable CSV: {e}", getattr(e, "line_no", None))])
    if not records or not records[0]:
        return CsvTable(None, [Reason("no header row", 1)])
    header = records[0]
    missing = [c for c in required if c not in header]
    doubled = sorted({c for c in header if header.count(c) > 1})
    reasons = [Reason(f"required column {c!r} is missing from the header", 1, c) for c in missing]
    reasons += [Reason(f"column {c!r} appears more than once in the header", 1, c) for c in doubled]
    if reasons:
        return CsvTable(None, reasons)
    width = len(header)
    lines: list[int] = []
    good: list[list[str]] = []
    row_reasons: list[Reason] = []
    for start, row in zip(starts[1:], records[1:], strict=True):
        if not row:
            continue
        if len(row) != width:
            row_reasons.append(Reason(f"row has {len(row)} fields; the header has {width}", start))
            continue
        lines.append(start)
        good.append(row)
    columns = list(zip(*good, strict=True)) if good else [()] * width
    frame = pl.DataFrame(
        {LINE: pl.Series(lines, dtype=pl.Int64)}
        | {name: pl.Series(columns[header.index(name)], dtype=pl.String) for name in required}
    )
    return CsvTable(frame, [], row_reasons)


def _records(physical: list[str]) -> tuple[list[list[str]], list[int]]:
    """CSV records and the line each starts on. Fast when no quoted field spans lines (then
    record i is line i + 1); otherwise the reader is followed line by line."""
    try:
        records = list(csv.reader(physical, strict=True))
    except csv.Error:
        records = None  # read again line by line to say where
    if records is not None and len(records) == len(physical):
        return records, list(range(1, len(records) + 1))
    reader = csv.reader(physical, strict=True)
    records, starts = [], []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader, None)
        except csv.Error as e:
            e.line_no = start  # type: ignore[attr-defined]
            raise
        if row is None:
            return records, starts
        records.append(row)
        starts.append(start)
