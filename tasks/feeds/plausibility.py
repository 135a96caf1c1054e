"""Implausible data in a chain's file: well formed, but it cannot be true (docs/decisions.md, Feeds).

    paid_after_creation_reasons(events, created_at) -> list[Reason]   # a payment after its file was made
    created_after_arrival_reasons(f, arrived_at) -> list[Reason]      # a file made after it reached us

A 0-yen record is a form check of the amount (schemas/feeds.py, `not_zero`). Each rule quarantines the
file with its reason, like any other error: a file is accepted whole or rejected whole.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from tasks.feeds.reader import limited
from tasks.inbox import InboundFile, Reason

# Clocks disagree: a store's till, the chain's host that writes the file and our own server each
# keep their own time. Ten minutes covers clocks kept by NTP with room to spare, yet is far below
# the 10–30 minutes between 速報 files, so a file dated into the future still stands out.
CLOCK_SKEW = timedelta(minutes=10)


def _skew() -> str:
    return f"{CLOCK_SKEW.total_seconds() / 60:.0f} minutes"


def paid_after_creation(created_at: datetime) -> pl.Expr:
    """True for a record paid (paid date and time) later than its file was created, beyond the clock
    skew; null where the date or time is broken (that has its reason already)."""
    paid_at = pl.col("paid_date").cast(pl.Datetime("us")) + pl.col("paid_time").str.to_time(
        "%H%M%S", strict=False).cast(pl.Duration("us"))
    return paid_at > created_at + CLOCK_SKEW


def paid_after_creation_reasons(events: pl.DataFrame, created_at: datetime) -> list[Reason]:
    """Records paid (paid date and time) later than their file was created, beyond the clock skew."""
    late = events.filter(paid_after_creation(created_at))
    return limited([
        Reason(f"paid at {paid:%Y-%m-%d} {time[:2]}:{time[2:4]}:{time[4:]}, after the file was created"
               f" ({created_at:%Y-%m-%d %H:%M:%S}; {_skew()} of clock skew allowed)", no, "paid_date",
               f"{paid:%Y%m%d}")
        for no, paid, time in late.select("record_no", "paid_date", "paid_time").iter_rows()
    ], "a payment after the file's creation")


def created_after_arrival_reasons(f: InboundFile, arrived_at: datetime) -> list[Reason]:
    """A file whose name (and header) says it was created after it reached us, beyond the clock skew.

    `arrived_at` is the pull's time, naive JST like the name's creation time."""
    created = f.meta.created_at
    if created <= arrived_at + CLOCK_SKEW:
        return []
    return [Reason(f"created at {created:%Y-%m-%d %H:%M:%S} (file name) but received at"
                   f" {arrived_at:%Y-%m-%d %H:%M:%S}: a creation time in the future"
                   f" ({_skew()} of clock skew allowed)", None, "name", f"{created:%Y%m%d%H%M%S}")]
