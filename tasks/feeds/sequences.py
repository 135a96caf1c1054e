"""Sequence numbers of the chains' files: one sequence each for SEJ 01, SEJ 02, FM S, FM K and CVS.

Only accepted files count; a corrected file delivered again keeps its number; the first is 000001.

    sequence_gaps(con, as_of) -> pl.DataFrame   # kind, sequence_no, first_seen_higher_at, alert_from
    last_accepted(con) -> list[tuple[str, int, int]]   # kind, last accepted number, accepted files
    taken_reasons(con, f) -> list[Reason]       # another accepted file already has f's number
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from tasks.clock import naive_jst
from tasks.inbox import InboundFile, Reason


def sequence_gaps(con: duckdb.DuckDBPyConnection, as_of: datetime) -> pl.DataFrame:
    """Every open gap as of `as_of` (files ingested later are not seen).

    `first_seen_higher_at` is when a higher number of the same sequence was first accepted;
    from `alert_from` (one hour later) the gap is a FILE_SEQUENCE_GAP exception (rules.md).
    Times are naive JST, like the warehouse.
    """
    return con.sql(
        "select kind, sequence_no, first_seen_higher_at, alert_from"
        " from feed_sequence_gaps_as_of(?::timestamp) order by kind, sequence_no",
        params=[naive_jst(as_of)],
    ).pl()


def last_accepted(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """Per sequence: the last accepted number and how many numbers were accepted."""
    return con.execute(
        "select kind, last_sequence_no, accepted_files from feed_sequences order by kind"
    ).fetchall()


# the accepted files holding a file's number (named parameters: `taken_params`); a subquery that
# the feeds' merge asks in the same statement as its resend pre-check
TAKEN_SQL = ("select name, file_id from inbound_files"
             " where kind = $kind and sequence_no = $sequence_no and state = 'accepted'")


def taken_params(f: InboundFile) -> dict[str, object]:
    return {"kind": f.meta.kind, "sequence_no": f.meta.sequence_no}


def taken_reasons(con: duckdb.DuckDBPyConnection, f: InboundFile) -> list[Reason]:
    """A different file with the number of an accepted one is rejected."""
    return taken_wording(f, con.execute(TAKEN_SQL, taken_params(f)).fetchall())


def taken_wording(f: InboundFile, rows: list[tuple[str, int]]) -> list[Reason]:
    """The reasons of `taken_reasons` from the rows of TAKEN_SQL (name, file_id)."""
    return [
        Reason(f"sequence number {f.meta.sequence_no:06d} of {f.meta.kind} was already accepted "
               f"in file {name} (file_id {file_id})", None, "sequence_no", f"{f.meta.sequence_no:06d}")
        for name, file_id in rows
    ]
