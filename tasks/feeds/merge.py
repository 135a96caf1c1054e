"""One feed file into the warehouse, inside the caller's transaction: accepted whole, or quarantined
whole with every reason.

    ingest_feed_file(con, f: InboundFile, as_of: datetime, settings: Settings) -> FileOutcome

The file's own checks come from its feed module (`parse`); this module adds the ones that need the
warehouse (the sequence number already taken, an event identity already stored with other facts),
records the file (`tasks.inbox.record_file`) and inserts its records with lineage. Event and
payment ids are md5 of the identity, computed in SQL (docs/architecture.md).
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from tasks.clock import naive_jst
from tasks.feeds.checks import IDENTITY
from tasks.feeds.reader import limited
from tasks.feeds.sequences import taken_reasons
from tasks.inbox import FileOutcome, InboundFile, Reason, record_file
from tasks.settings import Settings

_PAYMENT_KEY = (
    "chain, reference, strftime(paid_date, '%Y-%m-%d'), paid_time, store_code, amount::varchar"
)
PAYMENT_ID_SQL = f"md5(concat_ws('|', {_PAYMENT_KEY}))"
EVENT_ID_SQL = f"md5(concat_ws('|', {_PAYMENT_KEY}, kind))"

# facts of an event beyond its identity: a resend must repeat them exactly
FACTS = ("stamp_flag", "transfer_date", "confirmed_date", "cancelled_at", "barcode")
COLUMNS = (
    "file_id", "record_no", "feed", "chain", "kind", "reference", "paid_date", "paid_time", "store_code",
    "amount", "stamp_flag", "transfer_date", "confirmed_date", "cancelled_at", "barcode", "barcode_stamp",
    "file_created_at", "ingested_at", "event_id", "payment_id",
)
_STAGED = "_feed_file_records"


def _stage(con: duckdb.DuckDBPyConnection, events: pl.DataFrame) -> None:
    """Make the file's records visible to DuckDB, and find the stored sighting of each identity
    already known: one scan of feed_records, joined on the identity columns themselves (equal
    identities have equal md5s) and pruned by paid date, which the identity includes."""
    con.register(_STAGED, events)
    lo, hi = events["paid_date"].min(), events["paid_date"].max()
    same = " and ".join(f"r.{c} = n.{c}" for c in IDENTITY)
    differs = " or ".join(f"n.{c} is distinct from r.{c}" for c in FACTS)
    facts = ", ".join(f"n.{c}::varchar as new_{c}, r.{c}::varchar as old_{c}" for c in FACTS)
    con.execute(
        f"""create or replace temp table {_STAGED}_known as
        select n.record_no, r.file_id as stored_file_id, r.record_no as stored_record_no,
               ({differs}) as differs, {facts}
        from {_STAGED} n
        join feed_records r on {same} and r.paid_date between ? and ?
        qualify row_number() over (partition by n.record_no order by r.file_id, r.record_no) = 1""",
        [lo, hi],
    )


def _drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    con.unregister(_STAGED)
    con.execute(f"drop table if exists {_STAGED}_known")


def conflict_reasons(con: duckdb.DuckDBPyConnection) -> list[Reason]:
    """Staged records whose identity is stored already with another stamp flag, date or barcode."""
    picks = ", ".join(f"k.new_{c}, k.old_{c}" for c in FACTS)
    rows = con.execute(
        f"""select k.record_no, f.name, k.stored_record_no, {picks}
        from {_STAGED}_known k join inbound_files f on f.file_id = k.stored_file_id
        where k.differs order by k.record_no"""
    ).fetchall()
    reasons = []
    for row in rows:
        record_no, name, stored_no, values = row[0], row[1], row[2], row[3:]
        for i, c in enumerate(FACTS):
            new, old = values[2 * i], values[2 * i + 1]
            if new != old:
                reasons.append(Reason(
                    f"an event already stored (file {name}, record {stored_no}) has {c} {old!r}:"
                    " a resend must not change it", record_no, c, new))
    return limited(reasons, "facts differing from stored events")


def ingest_feed_file(
    con: duckdb.DuckDBPyConnection, f: InboundFile, as_of: datetime, settings: Settings
) -> FileOutcome:
    """Check, record and merge one SEJ, FM or CVS file, in the caller's transaction."""
    from tasks.inbox_kinds import BY_KIND  # here: the registry of inbox kinds names this handler

    parsed = BY_KIND[f.meta.kind].parser.parse(f, settings)
    reasons = list(parsed.reasons) + taken_reasons(con, f)
    events = parsed.events
    if events is not None:
        events = events.filter(pl.all_horizontal(pl.col(IDENTITY).is_not_null()))
        _stage(con, events)
        reasons += conflict_reasons(con)
    received_at = naive_jst(as_of)
    if reasons:
        if events is not None:
            _drop_staged(con)
        file_id = record_file(con, f, "quarantined", received_at, reasons)
        return FileOutcome(f.meta.name, f.meta.kind, "quarantined", file_id, reasons,
                           {"records": 0 if events is None else events.height})
    file_id = record_file(con, f, "accepted", received_at)
    (known,) = con.execute(f"select count(*) from {_STAGED}_known").fetchone()
    con.execute(
        f"insert into feed_records ({', '.join(COLUMNS)}) select ?, record_no, feed, chain, kind, reference,"
        " paid_date, paid_time, store_code, amount, stamp_flag, transfer_date, confirmed_date, cancelled_at,"
        f" barcode, barcode_stamp, file_created_at, ?, {EVENT_ID_SQL}, {PAYMENT_ID_SQL} from {_STAGED}",
        [file_id, received_at],
    )
    _drop_staged(con)
    counts = {"records": events.height, "new_events": events.height - known}
    for kind, n in events.group_by("kind").len().iter_rows():
        counts[kind] = n
    return FileOutcome(f.meta.name, f.meta.kind, "accepted", file_id, [], counts)
