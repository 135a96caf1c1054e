"""Which computed events are not in the outbox yet, found without reading all of it.

DuckDB 2.0 runs `insert … on conflict do nothing` as a MERGE: a hash join of the new rows with the
event_id of every outbox row (a scan that grows with every event ever enqueued), then a dedup of the
new rows by key. Instead, each computed event carries `enqueued_from`, a time before which no enqueue
can have made it, and the anti join reads only the outbox rows created at or after the earliest of
them; the outbox is appended enqueue after enqueue, so the zonemaps of `created_at` prune the older
row groups. Exact, because an enqueue as of T (the row's `created_at`) inserts only events of facts
known at T, and facts are never changed nor removed:
- payment.*: `enqueued_from` is the event's `happened_at` (its first sighting's and its order's
  ingestion, the later one). The enqueue at T saw a sighting and the order both ingested by T; they
  are still here, so the event's happened_at now is at most T (or at most the as_of now, when that is
  earlier than T: both are read as of it).
- order.expired: the day after the due date: an enqueue as of T makes an expiry only when that day
  has come by T (its happened_at may move later with a late void, so it is no bound here).
The primary key stays: a computed event equal to a row the bound left out, or two computed events
with one id (none by construction: one per payment and type, one per order), fail the statement and
the caller's transaction — never a silent double.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

EVENTS = "nq_events"  # the computed events, before the check
COLUMNS = ("event_id, type, subject, merchant_id, order_id, chain, payment_id, amount, paid_at, store_code,"
           " happened_at")

_INSERT = f"""
insert into notification_outbox ({COLUMNS}, created_at, state, window_start, attempts, next_attempt_at)
select {COLUMNS}, $as_of, 'pending', $as_of, 0, $as_of
from {EVENTS} e
where not exists (select 1 from notification_outbox x
                  where x.created_at >= {{since}} and x.event_id = e.event_id)
order by merchant_id, order_id, happened_at, event_id
"""


def insert(con: duckdb.DuckDBPyConnection, events: str, at: datetime) -> int:
    """Insert the events of the query `events` (COLUMNS and `enqueued_from`; parameter $as_of) that
    are not in the outbox, created as of `at` (naive JST); returns how many."""
    con.execute(f"create or replace temp table {EVENTS} as {events}", {"as_of": at})
    try:
        (since,) = con.execute(f"select min(enqueued_from) from {EVENTS}").fetchone()
        if since is None:
            return 0
        literal = f"timestamp '{since.isoformat(sep=' ')}'"  # a timestamp, never user text
        (count,) = con.execute(_INSERT.format(since=literal), {"as_of": at}).fetchone()
        return int(count)
    finally:
        con.execute(f"drop table if exists {EVENTS}")
