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
from tasks.feeds.checks import IDENTITY, Parsed
from tasks.feeds.plausibility import created_after_arrival_reasons
from tasks.feeds.reader import limited
from tasks.feeds.sequences import TAKEN_SQL, taken_params, taken_reasons, taken_wording
from tasks.feeds.staging import Staged, stage
from tasks.inbox import NEXT_FILE_ID_SQL, FileOutcome, InboundFile, Reason, record_file
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
# an accepted file's records with their lineage and ids ({source}: the staged records, aliased n)
INSERT_SQL = (
    f"insert into feed_records ({', '.join(COLUMNS)}) select $file_id, record_no, feed, chain, kind,"
    " reference, paid_date, paid_time, store_code, amount, stamp_flag, transfer_date, confirmed_date,"
    " cancelled_at, barcode, barcode_stamp, file_created_at, $ingested_at, "
    f"{EVENT_ID_SQL}, {PAYMENT_ID_SQL} from {{source}}"
)
KINDS = ("01", "02", "03")  # the kinds an accepted file may hold


def prepare(f: InboundFile, settings: Settings) -> Parsed:
    """Parse a feed file and keep the events with a complete identity (a broken one has its
    reasons), also staged as DuckDB reads them (tasks.feeds.staging), with their paid dates' range
    and their count per kind: all of the merge that needs no warehouse, which the pull runs ahead of
    the writer (tasks.ingest)."""
    from tasks.inbox_kinds import BY_KIND  # here: the registry of inbox kinds names this module

    parsed = BY_KIND[f.meta.kind].parser.parse(f, settings)
    if parsed.events is not None:
        events = parsed.events.filter(pl.all_horizontal(pl.col(IDENTITY).is_not_null()))
        paid, kind = pl.col("paid_date"), pl.col("kind")
        summary = events.select(paid.min().alias("lo"), paid.max().alias("hi"),
                                *((kind == k).sum().alias(k) for k in KINDS)).row(0, named=True)
        parsed.events, parsed.staged = events, stage(events)
        parsed.paid_dates = (summary["lo"], summary["hi"])
        parsed.per_kind = {k: summary[k] for k in KINDS}
    return parsed


def _known(con: duckdb.DuckDBPyConnection, f: InboundFile, parsed: Parsed, staged: Staged
           ) -> tuple[list[Reason], int, list[dict], int]:
    """Look up, in one statement, the accepted files holding the file's sequence number (as
    reasons), whether any of its records (`staged`, open) may be stored already, and the file's id
    to be; then, only if a record may be stored, those already stored: how many, and those stored
    with other facts (stamp flag, dates, barcode).

    Stored records are joined on the identity columns themselves (equal identities have equal md5s),
    pruned by paid date, which the identity includes."""
    lo, hi = parsed.paid_dates
    same = " and ".join(f"r.{c} = n.{c}" for c in IDENTITY)
    # the usual file resends nothing: first, is any of its (reference, kind) stored on its paid
    # dates at all (a semi-join, a third of the cost of the query below, whose join on every
    # identity column, window, list and second join only a resend needs). The kind is part of the
    # identity: a 確報 file's references are stored already by their 速報 file, not resent by it
    taken, file_id, found = con.execute(
        f"select (select list(struct_pack(name, file_id)) from ({TAKEN_SQL})), ({NEXT_FILE_ID_SQL}),"
        f" (select count(*) from feed_records r semi join {staged.source}"
        f"  on r.reference = n.reference and r.kind = n.kind where r.paid_date between $lo and $hi)",
        staged.params(**taken_params(f), lo=lo, hi=hi),
    ).fetchall()[0]
    taken = taken_wording(f, [(t["name"], t["file_id"]) for t in taken or []])
    if not found:
        return taken, 0, [], file_id
    differs = " or ".join(f"n.{c} is distinct from r.{c}" for c in FACTS)
    facts = ", ".join(f"n.{c}::varchar as new_{c}, r.{c}::varchar as old_{c}" for c in FACTS)
    fields = ", ".join(f"k.{c}" for c in ["record_no", "stored_record_no"]
                       + [f"{age}_{c}" for c in FACTS for age in ("new", "old")])
    known, conflicts = con.execute(
        f"""with k as (
            select n.record_no, r.file_id as stored_file_id, r.record_no as stored_record_no,
                   ({differs}) as differs, {facts}
            from {staged.source}
            join feed_records r on {same} and r.paid_date between $lo and $hi
            qualify row_number() over (partition by n.record_no order by r.file_id, r.record_no) = 1)
        select count(*), list(struct_pack(f.name, {fields}) order by k.record_no) filter (where k.differs)
        from k left join inbound_files f on f.file_id = k.stored_file_id""",
        staged.params(lo=lo, hi=hi),
    ).fetchall()[0]
    return taken, known, conflicts or [], file_id


def conflict_reasons(conflicts: list[dict]) -> list[Reason]:
    """Staged records whose identity is stored already with another stamp flag, date or barcode."""
    reasons = []
    for k in conflicts:
        for c in FACTS:
            new, old = k[f"new_{c}"], k[f"old_{c}"]
            if new != old:
                reasons.append(Reason(
                    f"an event already stored (file {k['name']}, record {k['stored_record_no']}) has {c}"
                    f" {old!r}: a resend must not change it", k["record_no"], c, new))
    return limited(reasons, "facts differing from stored events")


def ingest_feed_file(
    con: duckdb.DuckDBPyConnection, f: InboundFile, as_of: datetime, settings: Settings
) -> FileOutcome:
    """Check, record and merge one SEJ, FM or CVS file, in the caller's transaction."""
    parsed = f.prepared(prepare, settings)
    received_at = naive_jst(as_of)
    reasons = list(parsed.reasons) + created_after_arrival_reasons(f, received_at)
    events = parsed.events
    if events is None:
        reasons += taken_reasons(con, f)
        return _quarantined(con, f, received_at, reasons, 0)
    with parsed.staged.open(con) as staged:
        taken, known, conflicts, file_id = _known(con, f, parsed, staged)
        reasons += taken + conflict_reasons(conflicts)
        if reasons:
            return _quarantined(con, f, received_at, reasons, events.height, file_id)
        record_file(con, f, "accepted", received_at, file_id=file_id)
        con.execute(INSERT_SQL.format(source=staged.source),
                    staged.params(file_id=file_id, ingested_at=received_at))
    counts = {"records": events.height, "new_events": events.height - known}
    # counted by the parse thread; an accepted file has no other kind
    counts.update((kind, n) for kind, n in parsed.per_kind.items() if n)
    return FileOutcome(f.meta.name, f.meta.kind, "accepted", file_id, [], counts)


def _quarantined(con: duckdb.DuckDBPyConnection, f: InboundFile, received_at: datetime,
                 reasons: list[Reason], records: int, file_id: int | None = None) -> FileOutcome:
    file_id = record_file(con, f, "quarantined", received_at, reasons, file_id)
    return FileOutcome(f.meta.name, f.meta.kind, "quarantined", file_id, reasons, {"records": records})
