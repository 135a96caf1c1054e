"""How far the outbox enqueue got, so that the next one looks only at what is new (a watermark).

Each enqueue leaves a mark (notification_enqueue_marks, migration 0007): its as_of, the highest
inbound file id up to which every file was looked at, and the master load then current. The next
enqueue starts from the latest mark and looks at the (chain, reference) keys that can hold an event
it has not seen:
- every key of a feed record or an order in a file after the mark's file id (file ids grow in
  commit order, so a file committed late by a pull that waited for the lock is still after it);
- every key of an order the reconciliation has (re)computed as `expired` at or after the mark's
  as_of (`order_status.as_of`: a due date passing makes an expiry without any new file).
The events of those keys are computed from all their facts (earlier sightings of an event count for
its first ingestion), so the result is the same as looking at every fact; only the work differs.
(Called by a scoped reconciliation whose keys hold every key of the first kind, the enqueue looks at
the run's keys instead: outbox.KeyRows.)

A mark is not used when the as_of is earlier than the mark (then the caller's keys or every fact are
looked at, and no mark is left), or when a master load dated before the mark's as_of has been added
since (a merchant whose notify_url dates from then may have events among facts already passed):
then every fact is looked at once and a new mark is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

KEYS = "notify_new_keys"  # the temp table of keys to look at


@dataclass(frozen=True)
class Mark:
    as_of: datetime  # naive JST
    max_file_id: int
    max_load_id: int


def latest(con: duckdb.DuckDBPyConnection) -> Mark | None:
    row = con.execute("select as_of, max_file_id, max_load_id from notification_enqueue_marks"
                      " order by as_of desc, max_file_id desc limit 1").fetchone()
    return Mark(*row) if row else None


def usable(con: duckdb.DuckDBPyConnection, mark: Mark | None, at: datetime) -> bool:
    """Whether an enqueue at `at` (naive JST) may start from `mark`."""
    if mark is None or at < mark.as_of:
        return False
    (backdated,) = con.execute("select count(*) from master_loads where load_id > ? and loaded_at < ?",
                               [mark.max_load_id, mark.as_of]).fetchone()
    return backdated == 0


def new_keys(con: duckdb.DuckDBPyConnection, mark: Mark, at: datetime, with_status: bool) -> str:
    """Fill the temp table KEYS with the keys that can hold an event not seen at `mark`; returns its name."""
    expired = ("union select chain, payment_reference from order_status"
               " where as_of >= $since and status = 'expired'") if with_status else ""
    con.execute(
        f"""
        create or replace temp table {KEYS} as
        select chain, reference from feed_records where file_id > $w and ingested_at <= $at
        union select chain, payment_reference from orders where file_id > $w and ingested_at <= $at
        {expired}
        """,
        {"w": mark.max_file_id, "at": at} | ({"since": mark.as_of} if with_status else {}),
    )
    return KEYS


def leave(con: duckdb.DuckDBPyConnection, at: datetime, after_file_id: int, enqueued: int) -> None:
    """Leave the mark of an enqueue at `at` that looked at every file after `after_file_id`: up to
    the last file before the first one holding a fact ingested after `at`."""
    (covered,) = con.execute(
        """
        with later as (
            select min(file_id) as f from feed_records where file_id > $w and ingested_at > $at
            union all select min(file_id) from orders where file_id > $w and ingested_at > $at
            union all select min(file_id) from inbound_files where file_id > $w and received_at > $at
        ), seen as (
            select max(file_id) as f from feed_records where file_id > $w
            union all select max(file_id) from orders where file_id > $w
            union all select max(file_id) from inbound_files where file_id > $w
        )
        select coalesce((select min(f) - 1 from later), (select max(f) from seen), $w)
        """,
        {"w": after_file_id, "at": at},
    ).fetchone()
    (load_id,) = con.execute("select coalesce(max(load_id), 0) from master_loads").fetchone()
    con.execute("insert into notification_enqueue_marks values (?, ?, ?, ?)",
                [at, covered, load_id, enqueued])
