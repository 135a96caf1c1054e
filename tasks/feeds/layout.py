"""Record layouts as data, and the one generic writer of fixed-width records.

A feed module (sej.py, famima.py) declares each of its record types as a `Record`: a tuple of
`Field(name, start, length, type)` with the spec's 1-based byte positions and its types
(`N` digits, zero-padded, right-aligned; `C` text, left-aligned, space-padded). The one reader
(`tasks.feeds.reader`) slices any such layout; `format_record` writes one.

    format_record(record: Record, values: Mapping[str, object]) -> bytes

Values may be given in wire form (`"20261103"`) or as Python values: `int` for N fields,
`date` / `datetime` for date and time fields (rendered per the field's `form`), `bool` for flags,
`None` for "not applicable" (zeros in N fields, spaces in C and blank-able fields). Fields not
given take their constant (record type codes) or their empty value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from tasks.digits import ascii_digits

ENCODING = "cp932"  # Shift_JIS as Windows writes it

# How a field's value is written when given as a Python date/datetime.
_FORMS = {
    "date": "%Y%m%d",
    "time4": "%H%M",
    "time6": "%H%M%S",
    "datetime12": "%Y%m%d%H%M",
    "datetime14": "%Y%m%d%H%M%S",
}


@dataclass(frozen=True)
class Field:
    name: str
    start: int  # 1-based byte position, as in the spec's tables
    length: int
    type: str  # N digits (zero-padded) or C text (space-padded)
    form: str | None = None  # date, time4, time6, datetime12, datetime14, flag, or None
    const: str | None = None  # fixed value (record type codes)
    blank: bool = False  # N field that is all spaces when not applicable (FM dates in S files)

    @property
    def end(self) -> int:
        return self.start + self.length - 1


@dataclass(frozen=True)
class Record:
    """One record type of a fixed-width layout."""

    name: str  # header, data, trailer, end
    code: str  # the record type code in position 1
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        pos = 1
        for f in self.fields:
            if f.start != pos:
                raise ValueError(f"{self.name}.{f.name} starts at {f.start}, expected {pos}")
            pos = f.end + 1

    @property
    def length(self) -> int:
        return self.fields[-1].end

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


@dataclass(frozen=True)
class FixedLayout:
    """A fixed-width file: records of one length, optionally each followed by a separator."""

    feed: str
    record_length: int
    separator: str  # "\r\n" for SEJ, "" for FM
    records: tuple[Record, ...]

    def __post_init__(self) -> None:
        for r in self.records:
            if r.length != self.record_length:
                raise ValueError(f"{self.feed} {r.name} is {r.length} bytes, not {self.record_length}")

    def record(self, name: str) -> Record:
        return next(r for r in self.records if r.name == name)


def _text(f: Field, value: object) -> str:
    if value is None:
        return "" if (f.type == "C" or f.blank) else "0" * f.length
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime | date | time) and f.form in _FORMS:
        return value.strftime(_FORMS[f.form])
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{f.name}: negative value {value}")
        return str(value)
    return str(value)


def format_field(f: Field, value: object) -> str:
    """One field's text, padded to its length; raises ValueError when it does not fit."""
    if type(value) is str and len(value) == f.length and value.isascii() and (
            f.type == "C" or value.isdigit()):
        return value  # already in wire form (the simulator's million records): nothing to do
    text = _text(f, value)
    if f.type == "N" and text != "" and not ascii_digits(text):
        raise ValueError(f"{f.name}: {text!r} is not digits")
    if f.type == "N" and text != "":
        text = text.rjust(f.length, "0")
    else:
        text = text + " " * (f.length - len(text.encode(ENCODING)))
    if len(text.encode(ENCODING)) != f.length:
        raise ValueError(f"{f.name}: {text!r} does not fit in {f.length} bytes")
    return text


def format_record(record: Record, values: Mapping[str, object]) -> bytes:
    """One record of `record`'s layout, encoded cp932, without a separator."""
    unknown = set(values) - {f.name for f in record.fields}
    if unknown:
        raise ValueError(f"{record.name}: unknown fields {sorted(unknown)}")
    parts = []
    for f in record.fields:
        value = values.get(f.name, f.const)
        parts.append(format_field(f, value))
    return "".join(parts).encode(ENCODING)
