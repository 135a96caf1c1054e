"""One BANK_IN file (the bank's 振込入金通知) into the warehouse, inside the caller's transaction:
accepted whole into `bank_records`, or quarantined whole with every reason (treasury.md).

    ingest_bank_file(con, f: InboundFile, as_of: datetime, settings: Settings) -> FileOutcome
    prepare(f: InboundFile, settings) -> BankParsed   # the file's own checks: no warehouse needed
    TRANSFER_ID_SQL                      # transfer_id of a row with booking_date and inquiry_no
    transfer_id(booking_date, inquiry_no) -> str

The file's own checks come from tasks/feeds/bank.py; this module adds those that need the warehouse:
the sequence number already taken (feeds.md), a file created after it arrived, and a transfer
(勘定日, 照会番号) already stored with other facts (a resend must repeat them; a cancellation must
repeat the amount of the transfer it cancels). A resent record is stored again (lineage) and counts
once: `bank_transfers_as_of` groups by transfer_id.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import duckdb
import polars as pl

from tasks.clock import naive_jst
from tasks.feeds import bank
from tasks.feeds.plausibility import created_after_arrival_reasons
from tasks.feeds.reader import limited
from tasks.feeds.sequences import taken_reasons
from tasks.inbox import FileOutcome, InboundFile, Reason, record_file
from tasks.settings import Settings

# md5 of '勘定日 ISO|照会番号' (0013_bank.sql): the same in SQL and Python
TRANSFER_ID_SQL = "md5(strftime(booking_date, '%Y-%m-%d') || '|' || inquiry_no)"
_STAGED = "_bank_file_records"
COLUMNS = ("file_id", "record_no", "transfer_id", "inquiry_no", "booking_date", "value_date", "amount",
           "other_bank_amount", "remitter_code", "remitter_name", "sending_bank", "sending_branch",
           "is_cancellation", "edi", "file_created_at", "ingested_at")


def transfer_id(booking_date: date, inquiry_no: str) -> str:
    """The transfer's id: md5 of its 勘定日 (ISO) and 照会番号 (6 digits), as TRANSFER_ID_SQL."""
    return hashlib.md5(f"{booking_date:%Y-%m-%d}|{inquiry_no}".encode()).hexdigest()


def _conflict_reasons(con: duckdb.DuckDBPyConnection, lo: date | None, hi: date | None) -> list[Reason]:
    """Staged records (勘定日 from lo to hi) whose transfer is stored (accepted earlier) with other facts."""
    # the usual file books days nothing stored books yet: one probe of those days, no join
    if lo is None or con.execute("select 1 from bank_records where booking_date between ? and ? limit 1",
                                 [lo, hi]).fetchone() is None:
        return []
    differs = " or ".join(f"n.{c} is distinct from r.{c}" for c in bank.FACTS)
    facts = ", ".join(f"n.{c} is distinct from r.{c}" for c in bank.FACTS)
    # joined on the identity itself (equal identities, equal ids), pruned by 勘定日: a scan of the
    # stored records of those days only, however many years the table holds
    rows = con.execute(f"""
        select n.record_no, n.is_cancellation, f.name, r.record_no, r.amount, n.amount, [{facts}]
        from {_STAGED} n
        join bank_records r on r.booking_date = n.booking_date and r.inquiry_no = n.inquiry_no
                           and not r.is_cancellation and r.booking_date between ? and ?
        join inbound_files f on f.file_id = r.file_id
        where case when n.is_cancellation then n.amount <> r.amount else ({differs}) end
        qualify row_number() over (partition by n.record_no order by r.file_id, r.record_no) = 1
        order by n.record_no""", [lo, hi]).fetchall()
    reasons = []
    for no, cancel, name, stored_no, old, new, flags in rows:
        if cancel:
            reasons.append(Reason(f"cancels the transfer of file {name}, record {stored_no}, of {old} yen"
                                  " with another amount", no, "amount", str(new)))
            continue
        fields = [c for c, d in zip(bank.FACTS, flags, strict=True) if d]
        reasons.append(Reason(f"the transfer is stored already (file {name}, record {stored_no}) with"
                              f" other {', '.join(fields)}: a resend must not change it", no, fields[0]))
    return limited(reasons, "transfers differing from stored ones")


def prepare(f: InboundFile, settings: Settings) -> bank.BankParsed:
    """The file read and checked on its own, its storable transfers kept: the pull runs this ahead,
    in its parse thread, while the writer stores the file before (tasks/ingest.py)."""
    parsed = bank.parse(f, settings)
    if parsed.transfers is not None:
        parsed.transfers = parsed.transfers.filter(
            pl.col("booking_date").is_not_null() & pl.col("amount").is_not_null())
    return parsed


def ingest_bank_file(con: duckdb.DuckDBPyConnection, f: InboundFile, as_of: datetime,
                     settings: Settings) -> FileOutcome:
    """Check, record and store one BANK_IN file, in the caller's transaction."""
    parsed = f.prepared(prepare, settings)
    received_at = naive_jst(as_of)
    reasons = list(parsed.reasons) + created_after_arrival_reasons(f, received_at) + taken_reasons(con, f)
    transfers = parsed.transfers
    if transfers is not None:
        con.register(_STAGED, transfers)
        try:
            reasons += _conflict_reasons(con, *parsed.booked)
            if not reasons:
                file_id = record_file(con, f, "accepted", received_at)
                created = datetime(*parsed.created_date.timetuple()[:3])
                con.execute(
                    f"insert into bank_records ({', '.join(COLUMNS)}) select ?, record_no, {TRANSFER_ID_SQL},"
                    " inquiry_no, booking_date, value_date, amount, other_bank_amount, remitter_code,"
                    " remitter_name, sending_bank, sending_branch, is_cancellation, edi, ?, ?"
                    f" from {_STAGED}", [file_id, created, received_at])
                con.execute("insert into bank_files values (?, ?, ?, ?)",
                            [file_id, parsed.created_date, parsed.from_date, parsed.to_date])
        finally:
            con.unregister(_STAGED)
    if reasons:
        file_id = record_file(con, f, "quarantined", received_at, reasons)
        return FileOutcome(f.meta.name, f.meta.kind, "quarantined", file_id, reasons,
                           {"records": 0 if transfers is None else transfers.height})
    cancels = int(transfers["is_cancellation"].sum())
    counts = {"records": transfers.height, "transfers": transfers.height - cancels, "cancellations": cancels}
    return FileOutcome(f.meta.name, f.meta.kind, "accepted", file_id, [], counts)
