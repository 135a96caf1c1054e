"""The one fixed-width reader and the one CSV reader: bytes in, Polars frames of text fields out.

Both decode cp932 once in Python (DuckDB cannot), split the text into records without a Python
loop over records, and return frames with a 1-based `record_no` column (the record number for
fixed width, the line number for CSV) and one String column per field. They check only what the
layout itself fixes (decoding, record lengths and separators, record types and their order);
field forms are for the Pandera schemas (schemas/feeds.py), sums and cross-checks for the feeds.

    read_fixed(content: bytes, layout: FixedLayout) -> FixedRead
    read_csv(content: bytes, separator=",", line_end="\\r\\n") -> CsvRead
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import polars as pl
import pyarrow as pa

from tasks.feeds.layout import ENCODING, FixedLayout, Record
from tasks.inbox import Reason

MAX_REASONS_PER_CHECK = 100  # a file broken everywhere still gets a readable list


@dataclass
class FixedRead:
    """Records by layout record name, each a frame of record_no + the record's fields as text."""

    records: dict[str, pl.DataFrame] = field(default_factory=dict)
    reasons: list[Reason] = field(default_factory=list)
    count: int = 0  # records in the file

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass
class CsvRead:
    """Lines as a frame: record_no (line number), n_fields, fields (list of text)."""

    lines: pl.DataFrame
    reasons: list[Reason] = field(default_factory=list)


def decode(content: bytes, unit: int | None = None) -> tuple[str | None, list[Reason]]:
    """The text, or None and the reason; `unit` (bytes per record) turns the offset into a record number."""
    try:
        return content.decode(ENCODING), []
    except UnicodeDecodeError as e:
        where = e.start // unit + 1 if unit else content.count(b"\n", 0, e.start) + 1
        value = content[e.start : e.end + 1].hex(" ")
        reason = f"cannot be decoded as cp932 (Shift_JIS) at byte {e.start + 1}"
        return None, [Reason(reason, where, None, value)]


def limited(reasons: list[Reason], what: str) -> list[Reason]:
    if len(reasons) <= MAX_REASONS_PER_CHECK:
        return reasons
    more = len(reasons) - MAX_REASONS_PER_CHECK
    return reasons[:MAX_REASONS_PER_CHECK] + [Reason(f"… and {more} more records with {what}")]


_DOUBLE_BYTE = re.compile(r"[^\x00-\x7f\uff61-\uff9f]")  # cp932 characters of two bytes


def _ascii_chunks(content: bytes, step: int) -> pl.Series:
    """Consecutive `step`-byte strings of ASCII bytes, zero-copy through Arrow (no loop over records)."""
    n = len(content) // step
    offsets = pl.int_range(0, (n + 1) * step, step, dtype=pl.Int32, eager=True).to_arrow()
    arr = pa.Array.from_buffers(pa.string(), n, [None, offsets.buffers()[1], pa.py_buffer(content)])
    return pl.Series("line", arr)


def _split_text(text: str, layout: FixedLayout) -> tuple[pl.Series, list[Reason]]:
    """Records of a decoded text (one character per byte): by separator, or by record length."""
    length, sep = layout.record_length, layout.separator
    if sep:
        parts = text.split(sep)
        reasons = []
        if parts[-1] == "":
            parts.pop()
        else:
            reasons.append(Reason(f"the last record is not followed by {sep!r}", len(parts)))
        return pl.Series("line", parts, pl.String), reasons
    return pl.Series("line", [text[i : i + length] for i in range(0, len(text), length)], pl.String), []


def _split_fixed(content: bytes, layout: FixedLayout) -> tuple[pl.Series | None, list[Reason]]:
    length, sep = layout.record_length, layout.separator
    step = length + len(sep)
    if content.isascii():
        if len(content) % step == 0:  # the usual file: fixed steps, checked, then cut
            chunks = _ascii_chunks(content, step)
            if not sep:
                return chunks, []
            if chunks.str.slice(length).eq(sep).all():
                return chunks.str.slice(0, length), []
        elif not sep:
            full = len(content) // step * step
            tail = pl.Series("line", [content[full:].decode("ascii")], pl.String)
            return _ascii_chunks(content[:full], step).append(tail), []
        return _split_text(content.decode("ascii"), layout)
    text, reasons = decode(content, step)
    if text is None:
        return None, reasons
    if len(text) != len(content):  # positions are bytes: every character must be one byte
        for m, _ in zip(_DOUBLE_BYTE.finditer(text), range(MAX_REASONS_PER_CHECK + 1), strict=False):
            offset = len(text[: m.start()].encode(ENCODING))
            reasons.append(Reason("a two-byte character; these records hold only digits and spaces",
                                  offset // step + 1, None, m.group()))
        return None, limited(reasons, "two-byte characters")
    return _split_text(text, layout)


def read_fixed(content: bytes, layout: FixedLayout) -> FixedRead:
    """Split a fixed-width file into records and slice every record type's fields."""
    sep = layout.separator
    if not content:
        return FixedRead(reasons=[Reason("the file is empty")])
    lines, reasons = _split_fixed(content, layout)
    if lines is None or lines.len() == 0:
        return FixedRead(reasons=reasons or [Reason("the file holds no record")])
    codes = {r.code: i for i, r in enumerate(layout.records)}
    frame = pl.DataFrame({"line": lines}).with_columns(
        record_no=pl.int_range(1, pl.len() + 1, dtype=pl.Int32),
        record_type=pl.col("line").str.slice(0, 1),
        length=pl.col("line").str.len_chars(),
    ).with_columns(order=pl.col("record_type").replace_strict(codes, default=None, return_dtype=pl.Int32))
    if not sep and len(content) % layout.record_length:
        reasons.append(Reason(
            f"file size {len(content)} is not a multiple of {layout.record_length} (truncated or padded)"))
    bad_length, known = pl.col("length") != layout.record_length, pl.col("order").is_not_null()
    any_bad_length, all_known = frame.select(bad_length.any(), known.all()).row(0)
    if any_bad_length:  # the usual file has none: skip the filters that would word them
        reasons += limited([
            Reason(f"record is {n} bytes, expected {layout.record_length}"
                   + (f" followed by {sep!r}" if sep else ""), no)
            for no, n in frame.filter(bad_length).select("record_no", "length").iter_rows()
        ], "a wrong length")
    if not all_known:
        reasons += limited([
            Reason("unknown record type", no, "record_type", code)
            for no, code in frame.filter(~known).select("record_no", "record_type").iter_rows()
        ], "an unknown record type")
    reasons += _check_structure(frame if all_known else frame.filter(known), layout)

    read = FixedRead(count=frame.height)
    good = frame.filter(~bad_length) if any_bad_length else frame
    parts = good.partition_by("record_type", as_dict=True)
    for record in layout.records:
        rows = parts.get((record.code,), good.clear())
        read.records[record.name] = rows.select(_field_slices(record))
    read.reasons = reasons
    return read


@cache
def _field_slices(record: Record) -> list[pl.Expr]:
    """record_no and each field sliced from the line: built once per record type, not per file."""
    return [pl.col("record_no"),
            *[pl.col("line").str.slice(f.start - 1, f.length).alias(f.name) for f in record.fields]]


def _check_structure(frame: pl.DataFrame, layout: FixedLayout) -> list[Reason]:
    """Header first, then data, then the trailer (then the end record): one of each but data."""
    reasons = []
    data = next(i for i, r in enumerate(layout.records) if r.name == "data")
    singles: dict[int, list[int]] = {}
    for order, no in frame.filter(pl.col("order") != data).select("order", "record_no").iter_rows():
        singles.setdefault(order, []).append(no)
    for i, record in enumerate(layout.records):
        if record.name == "data":
            continue
        rows = singles.get(i, [])
        if not rows:
            reasons.append(Reason(f"the {record.name} record is missing"))
        for extra in rows[1:]:
            reasons.append(Reason(f"a second {record.name} record", extra, "record_type", record.code))
        if record.name == "header" and rows and rows[0] != 1:
            reasons.append(Reason("the header must be the first record", rows[0], "record_type", record.code))
    # a record before one that must precede it (data after the trailer, anything after the end)
    out_of_place = frame.filter(pl.col("order") < pl.col("order").cum_max().shift(1, fill_value=0))
    reasons += limited([
        Reason(f"record out of place (order is {', '.join(r.name for r in layout.records)})",
               no, "record_type", code)
        for no, code in out_of_place.select("record_no", "record_type").iter_rows()
    ], "records out of place")
    return reasons


def read_csv(content: bytes, separator: str = ",", line_end: str = "\r\n") -> CsvRead:
    """Split an unquoted CSV file into lines and fields (no header row)."""
    text, reasons = decode(content)
    if text is None:
        return CsvRead(pl.DataFrame(schema={"record_no": pl.Int32, "n_fields": pl.UInt32,
                                            "fields": pl.List(pl.String)}), reasons)
    parts = text.split(line_end)
    if parts[-1] == "":
        parts.pop()
    elif text:
        reasons.append(Reason(f"the last line does not end with {line_end!r}", len(parts)))
    if not parts:
        reasons.append(Reason("the file is empty"))
    lines = pl.DataFrame({"line": pl.Series(parts, dtype=pl.String)}).select(
        record_no=pl.int_range(1, pl.len() + 1, dtype=pl.Int32),
        fields=pl.col("line").str.split(separator),
    ).with_columns(n_fields=pl.col("fields").list.len())
    stray = lines.filter(pl.col("fields").list.join(separator).str.contains(r"[\r\n]"))
    reasons += limited([Reason(f"a line break that is not {line_end!r}", no)
                        for no in stray["record_no"].to_list()], "stray line breaks")
    return CsvRead(lines, reasons)


def csv_columns(lines: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """record_no and the named fields by position (null where a line has too few)."""
    return lines.select(
        "record_no",
        *[pl.col("fields").list.get(i, null_on_oob=True).alias(n) for i, n in enumerate(names)],
    )
