"""File checks shared by the feeds: Pandera failures as reasons, trailer sums, duplicate identities.

Every function returns a list of `tasks.inbox.Reason` (record or line number, field, value, why);
an empty list means the check passed. The feeds call them over whole frames: no Python loop over
records except to word the reasons of records that failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandera.polars as pa
import polars as pl

from schemas.feeds import holds, holds_all
from tasks.digits import ascii_digits
from tasks.feeds.plausibility import paid_after_creation, paid_after_creation_reasons
from tasks.feeds.reader import limited
from tasks.feeds.staging import Staged
from tasks.inbox import Reason

# The event identity of feeds.md (the kind included), and the frame every feed produces.
IDENTITY = ["chain", "reference", "kind", "paid_date", "paid_time", "store_code", "amount"]
EVENT_SCHEMA = {
    "record_no": pl.Int32,
    "feed": pl.String,
    "chain": pl.String,
    "kind": pl.String,
    "reference": pl.String,
    "paid_date": pl.Date,
    "paid_time": pl.String,
    "store_code": pl.String,
    "amount": pl.Int64,
    "stamp_flag": pl.Boolean,
    "transfer_date": pl.Date,
    "confirmed_date": pl.Date,
    "cancelled_at": pl.Datetime("us"),
    "barcode": pl.String,
    "barcode_stamp": pl.Boolean,
    "file_created_at": pl.Datetime("us"),
}


@dataclass
class Parsed:
    """A feed file read and checked on its own (no warehouse needed)."""

    events: pl.DataFrame | None  # EVENT_SCHEMA columns; None when the file could not be parsed
    reasons: list[Reason] = field(default_factory=list)
    created_at: datetime | None = None  # the file's creation time (header; CVS: its name)
    # set by tasks.feeds.merge.prepare for the events with a complete identity: those events as
    # DuckDB reads them, their first and last paid date, and how many of each kind (01, 02, 03)
    staged: Staged | None = None
    paid_dates: tuple[date | None, date | None] = (None, None)
    per_kind: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.reasons and self.events is not None


def schema_reasons(frame: pl.DataFrame, schema: pa.DataFrameSchema) -> list[Reason]:
    """Every failed check of `schema` over `frame`, as reasons naming record, field and value."""
    if frame.height == 0 or holds(frame, schema):
        return []
    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as e:
        cases = e.failure_cases
    record_nos = frame["record_no"]
    reasons = []
    for column, check, value, index in cases.select("column", "check", "failure_case", "index").iter_rows():
        record_no = int(record_nos[index]) if index is not None else None
        reasons.append(Reason(f"{schema.name} {column} {check}", record_no, column, value))
    return limited(sorted(reasons, key=lambda r: (r.line_no or 0, r.field or "")), "invalid fields")


def schemas_reasons(pairs: list[tuple[pl.DataFrame, pa.DataFrameSchema]]) -> list[Reason]:
    """`schema_reasons` of each (frame, schema) in turn; the usual file, valid, in one Polars call."""
    pairs = [(frame, schema) for frame, schema in pairs if frame.height]
    if holds_all(pairs):
        return []
    return [r for frame, schema in pairs for r in schema_reasons(frame, schema)]


def expect_equal(what: str, found: str | int, expected: str | int, line_no: int | None,
                 field_name: str | None) -> list[Reason]:
    """One reason when a header or trailer value differs from what it must be."""
    if str(found) == str(expected):
        return []
    return [Reason(f"{what} is {found} but must be {expected}", line_no, field_name, str(found))]


def header_reasons(h: dict, file_kind: str, company_code: str, created: str, created_field: str,
                   created_at: datetime, sequence_no: int) -> list[Reason]:
    """A fixed-width header against the file's kind, our company code and the file's name."""
    no = h["record_no"]
    return (expect_equal("header file kind", h["file_kind"], file_kind, no, "file_kind")
            + expect_equal("header company code", h["company_code"], company_code, no, "company_code")
            + expect_equal("header created at (file name)", created, f"{created_at:%Y%m%d%H%M%S}", no,
                           created_field)
            + expect_equal("header sequence number (file name)", h["sequence_no"], f"{sequence_no:06d}",
                           no, "sequence_no"))


def kind_sums(data: pl.DataFrame) -> dict[str, int]:
    """What a SEJ or CVS trailer states, computed from the data records: their count, the amount of
    01 and 02 records, and the count and amount of 03 records."""
    amount = pl.col("amount").cast(pl.Int64, strict=False)
    is_cancel = pl.col("kind") == "03"
    return data.select(
        count=pl.len(),
        total=amount.filter(~is_cancel).sum(),
        cancel_count=is_cancel.sum(),
        cancel_total=amount.filter(is_cancel).sum(),
    ).row(0, named=True)


def trailer_reasons(trailer: pl.DataFrame, computed: dict[str, int], label: str = "trailer") -> list[Reason]:
    """The trailer's counts and totals against those computed from the records."""
    if trailer.height != 1:
        return []
    row = trailer.row(0, named=True)
    reasons = []
    for name, value in computed.items():
        text = row[name]
        if text is None or not ascii_digits(text.strip()):
            continue  # its form is already a reason
        if int(text) != value:
            reasons.append(Reason(f"{label} {name} is {int(text)} but the records give {value}",
                                  row["record_no"], name, text))
    return reasons


def duplicate_identity_reasons(events: pl.DataFrame) -> list[Reason]:
    """Two records of one file with the same event identity: each later one is a reason."""
    dup = (
        events.filter(pl.all_horizontal(pl.col(IDENTITY).is_not_null()))  # broken records have reasons
        .select("record_no", "reference", "kind", first=pl.col("record_no").min().over(IDENTITY))
        .filter(pl.col("record_no") != pl.col("first"))
    )
    return limited([
        Reason(f"same event identity as record {first} (kind {kind})", no, "reference", ref)
        for no, ref, kind, first in dup.select("record_no", "reference", "kind", "first").iter_rows()
    ], "a duplicated event identity")


def event_reasons(events: pl.DataFrame, created_at: datetime) -> list[Reason]:
    """Duplicated event identities and payments after the file's creation. The usual file has
    neither: both are first looked for in one pass, and only found ones are looked up and worded."""
    complete = pl.all_horizontal(pl.col(IDENTITY).is_not_null())
    duplicated, late = events.select(
        pl.struct(IDENTITY).filter(complete).is_duplicated().any(),
        paid_after_creation(created_at).any(),
    ).row(0)
    return ((duplicate_identity_reasons(events) if duplicated else [])
            + (paid_after_creation_reasons(events, created_at) if late else []))


def to_date(e: pl.Expr) -> pl.Expr:
    return e.str.to_date("%Y%m%d", strict=False)


def to_datetime(e: pl.Expr, fmt: str) -> pl.Expr:
    return e.str.to_datetime(fmt, strict=False, time_unit="us")


def finish(frame: pl.DataFrame) -> pl.DataFrame:
    """The event frame in EVENT_SCHEMA order and types (missing columns are nulls)."""
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c) for c, t in EVENT_SCHEMA.items()
    )
