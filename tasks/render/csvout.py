"""CSV files for merchants: UTF-8 with BOM by default, cp932 on request, formula cells escaped.

Formula injection: a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or CR. Such a
text cell gets a leading `'` (the OWASP advice). Numbers are never text here: a Python `int` is
written as its digits, so a negative amount (`-200`) stays a number a spreadsheet can add up; any
`str` cell is treated as text and escaped when it starts with one of those characters, even when it
looks like a number.

Columns are declared with a Japanese and an English header (Japanese by default). A *code* column
(kind `02`, store `0012345`, a payment reference) holds digits that are not a number: Excel would
drop the leading zero or print 1.00E+12. Its all-digit cells are written as the formula `="02"`,
which Excel shows as the text 02 (the file quotes the cell, doubling its quotes); the digits are
checked, so no data of ours can reach a formula this way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from tasks.digits import ascii_digits
from tasks.errors import KonbiniError

ENCODINGS = {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig", "cp932": "cp932"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

HEADERS = ("ja", "en")

Cell = str | int | date | datetime | None


@dataclass(frozen=True)
class Column:
    en: str  # the English header (also the column's name in code)
    ja: str  # the Japanese header, the default
    code: bool = False  # digits that must stay text in a spreadsheet

    def cell(self, value: Cell) -> str:
        text = escape_cell(value)
        if self.code and ascii_digits(text):
            return f'="{text}"'
        return text


def escape_cell(value: Cell) -> str:
    """One cell as text: ints as digits (negative ones too), text with a formula start escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"CSV cells are str, int, date or None; got {type(value).__name__}")
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(columns: Sequence[Column], rows: Iterable[Sequence[Cell]], encoding: str = "utf-8", *,
              header: str = "ja", where: str = "CSV") -> bytes:
    """The whole file: header then rows, CRLF line ends, quoted only where needed."""
    if encoding not in ENCODINGS:
        raise KonbiniError(f"unknown CSV encoding {encoding!r} for {where}: use utf-8 or cp932")
    if header not in HEADERS:
        raise KonbiniError(f"unknown CSV header language {header!r} for {where}: use ja or en")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([escape_cell(c.ja if header == "ja" else c.en) for c in columns])
    for row in rows:
        writer.writerow([c.cell(v) for c, v in zip(columns, row, strict=True)])
    text = buf.getvalue()
    try:
        return text.encode(ENCODINGS[encoding])
    except UnicodeEncodeError as e:
        ch = text[e.start:e.end]
        line = text.count("\r\n", 0, e.start) + 1
        raise KonbiniError(
            f"{where}: character {ch!r} on line {line} cannot be written in {encoding}; use utf-8"
        ) from None
