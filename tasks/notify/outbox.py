"""The notification outbox (速報 notifications): events derived from the facts of a reconciliation.

`enqueue_events` is called by the reconciliation inside its own transaction, so an event exists
exactly when the fact that caused it is committed. Event ids are md5(type|subject): reprocessing the
same facts finds the same ids and inserts nothing twice (new_events.py).

Events (rules.md): `payment.preliminary` (a 01), `payment.confirmed` (a 02), `payment.cancelled`
(a 03) of a payment whose reference is an order of its own chain, and `order.expired` (the order's
derived status is `expired`). Only merchants that have a `notify_url` in the current master data,
and only facts that became known since it has had one without interruption (no flood of history
when a merchant starts receiving notifications, nor of what happened while it had none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from tasks.clock import naive_jst
from tasks.errors import KonbiniError
from tasks.notify import marks, new_events
from tasks.reconcile import key_index

# The event types, ranked as they happen within one order at one instant: a till payment before its
# void or its confirmation; an expiry after the payments known at that instant.
TYPE_RANK = {"payment.preliminary": 1, "payment.cancelled": 2, "payment.confirmed": 3, "order.expired": 4}
# SQL: the order in which an order's events happened, and are delivered (then paid time, id for ties)
ORDER_KEY = (
    "happened_at, case type "
    + " ".join(f"when '{t}' then {r}" for t, r in TYPE_RANK.items())
    + " end, paid_at nulls last, event_id"
)

# Events are aggregated from feed_records here rather than read from the payment_events view: a
# filter on chain/reference or ingestion time cannot pass through the view's group by, and a scoped
# run must not aggregate every record ever received. Keeping only sightings ingested by as_of
# gives the same first_ingested_at for every event known at as_of. The keys' records and orders are
# read once each (`_KEY_ROWS`), from their earliest facts on (tasks/reconcile/key_index.py).
_KEY_ROWS = {
    "nq_records": """
        select event_id, payment_id, kind, chain, reference, amount, paid_date, paid_time, store_code,
               ingested_at
        from {feed_records} r {semi_r} where r.ingested_at <= {as_of} and {from_r}""",
    "nq_orders": """
        select merchant_id, order_id, chain, payment_reference, amount, due_date, ingested_at
        from {orders} o {semi_o} where {from_o}""",
}

_PAYMENT_FACTS = """
    select
        case e.kind when '01' then 'payment.preliminary'
                    when '02' then 'payment.confirmed'
                    else 'payment.cancelled' end                   as type,
        e.payment_id                                               as subject,
        o.merchant_id, o.order_id, e.chain, e.payment_id, e.amount,
        strptime(strftime(e.paid_date, '%Y%m%d') || e.paid_time, '%Y%m%d%H%M%S') as paid_at,
        e.store_code,
        greatest(e.first_ingested_at, o.ingested_at)               as happened_at,
        greatest(e.first_ingested_at, o.ingested_at)               as enqueued_from  -- new_events.py
    from (
        select event_id, any_value(payment_id) as payment_id, any_value(kind) as kind,
               any_value(chain) as chain, any_value(reference) as reference,
               any_value(amount) as amount, any_value(paid_date) as paid_date,
               any_value(paid_time) as paid_time, any_value(store_code) as store_code,
               min(ingested_at) as first_ingested_at
        from nq_records
        group by event_id
    ) e
    join nq_orders o on o.chain = e.chain and o.payment_reference = e.reference
    where o.ingested_at <= $as_of
"""

# order_status comes with the reconciliation (migration 0004); until then there is no expiry fact.
_EXPIRED_FACTS = """
    select
        'order.expired'                                            as type,
        o.merchant_id || '|' || o.order_id                         as subject,
        o.merchant_id, o.order_id, o.chain, null::varchar          as payment_id, o.amount,
        null::timestamp as paid_at, null::varchar                  as store_code,
        -- the order became expired at the day after its due date, or later when a void (03) ingested
        -- after that took its payment away
        greatest((o.due_date + 1)::timestamp, o.ingested_at, v.voided_at) as happened_at,
        (o.due_date + 1)::timestamp                                as enqueued_from
    from {status} s
    semi join {keys} k on k.chain = s.chain and k.reference = s.payment_reference
    join nq_orders o using (merchant_id, order_id)
    left join (
        -- when each reference's latest void became known: the max over its 03 events of each
        -- event's first sighting
        select chain, reference, max(first_ingested_at) as voided_at from (
            select chain, reference, min(ingested_at) as first_ingested_at from nq_records
            where kind = '03' group by event_id, chain, reference
        ) group by chain, reference
    ) v on v.chain = o.chain and v.reference = o.payment_reference
    where s.status = 'expired' and (o.due_date + 1)::timestamp <= $as_of
"""

_EVENTS = """
with notify_since as (
    -- since when each merchant with a notify_url now has had one without interruption: the first
    -- load of the current run of master loads in which it has one
    select c.merchant_id, min(l.loaded_at) as since
    from current_merchants c
    join merchants m on m.merchant_id = c.merchant_id and coalesce(m.notify_url, '') <> ''
    join master_loads l on l.load_id = m.load_id
    where coalesce(c.notify_url, '') <> ''
      and l.load_id > coalesce((
          select max(l2.load_id) from master_loads l2
          where not exists (select 1 from merchants m2 where m2.load_id = l2.load_id
                              and m2.merchant_id = c.merchant_id and coalesce(m2.notify_url, '') <> '')
      ), 0)
    group by c.merchant_id
),
facts as ({facts}),
events as (
    select md5(f.type || '|' || f.subject) as event_id, f.*
    from facts f join notify_since n using (merchant_id)
    where f.happened_at >= n.since
)
select * from events
"""


@dataclass(frozen=True)
class KeyRows:
    """The facts of a set of keys, already read by the caller in the same transaction (a scoped
    reconciliation, tasks.reconcile.key_rows): the enqueue reads these instead of the whole tables
    when its keys are among them."""

    keys: str  # table of (chain, reference)
    records: str  # their feed_records ingested by status_as_of
    orders: str  # their orders
    status_as_of: datetime  # naive JST: every order_status row of these keys was written as of it


def _covers(con: duckdb.DuckDBPyConnection, mark: marks.Mark, rows: KeyRows | None, at: datetime) -> bool:
    """Whether `rows` (as of `at`) hold every key of a file after the mark.

    Then the caller's keys are all the enqueue looks at: the expiries the caller's run wrote are among
    them, and those other runs wrote were looked at by their own enqueues (each reconciliation
    enqueues in its transaction) — rather than every order_status row written as of the mark's time
    or later, which after a full run are all the expired orders (millions at 10 M).
    """
    if rows is None or rows.status_as_of != at:
        return False
    keys = marks.new_keys(con, mark, at, with_status=False)
    (missing,) = con.execute(f"select count(*) from (select chain, reference from {keys}"
                             f" except select chain, reference from {rows.keys})").fetchone()
    con.execute(f"drop table {keys}")
    return missing == 0


def _has_order_status(con: duckdb.DuckDBPyConnection) -> bool:
    cols = {
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns where table_name = 'order_status'"
        ).fetchall()
    }
    return {"merchant_id", "order_id", "status"} <= cols


def enqueue_events(con: duckdb.DuckDBPyConnection, as_of: datetime, keys: str | None = None,
                   rows: KeyRows | None = None) -> int:
    """Insert the events of facts known at `as_of` that are not in the outbox yet; returns how many.

    Call inside the reconciliation's transaction (it does not open one). Starting from the previous
    enqueue's mark (tasks.notify.marks), only the keys that can hold a new event are looked at;
    without a usable mark, `keys` names a table of (chain, reference) to look at instead of every
    fact (a scoped reconciliation passes the keys it recomputed) — used only for an as_of earlier
    than the last mark; otherwise every fact is looked at once and a mark is left. `rows`: the
    facts of some keys the caller has read already (KeyRows), used when they cover the keys.
    """
    at = naive_jst(as_of)
    with_status = _has_order_status(con)
    mark = marks.latest(con)
    if marks.usable(con, mark, at):
        if rows is not None and _covers(con, mark, rows, at):
            count = _insert(con, at, rows.keys, with_status, rows)
        else:
            count = _insert(con, at, marks.new_keys(con, mark, at, with_status), with_status)
            con.execute(f"drop table {marks.KEYS}")
        marks.leave(con, at, mark.max_file_id, count)
    elif mark is not None and at < mark.as_of:
        count = _insert(con, at, keys, with_status)  # an earlier as_of: the caller's scope, no mark
    else:
        count = _insert(con, at, None, with_status)
        marks.leave(con, at, 0, count)
    return count


def _insert(con: duckdb.DuckDBPyConnection, at: datetime, keys: str | None, with_status: bool,
            rows: KeyRows | None = None) -> int:
    facts = _PAYMENT_FACTS + (" union all " + _EXPIRED_FACTS if with_status else "")
    literal = f"timestamp '{at.isoformat(sep=' ')}'"  # `at` is a datetime, never user text
    if keys is None:  # every fact: drop the scope's semi joins, and read the tables where used
        facts = "\n".join(line for line in facts.splitlines() if "{keys}" not in line)
    else:
        facts = facts.replace("{keys}", keys)
    sources = {"feed_records": "feed_records", "orders": "orders"} if rows is None else \
        {"feed_records": rows.records, "orders": rows.orders}
    semi = {f"semi_{a}": "" if keys is None or rows is not None else
            f"semi join {keys} k on k.chain = {a}.chain and k.reference = {a}.{ref}"
            for a, ref in (("r", "reference"), ("o", "payment_reference"))}
    # some keys' rows from the whole tables: from the keys' earliest facts on (key index)
    bounds = key_index.read_from(con, keys, None) if keys is not None and rows is None else ("true", "true")
    # every fact, or the caller's rows (already its keys'): read in place; some keys': copied once
    kind = "view" if keys is None or rows is not None else "table"
    for name, sql in _KEY_ROWS.items():
        # a literal, not a parameter: a view cannot be prepared
        sql = sql.format(as_of=literal, from_r=bounds[0], from_o=bounds[1], **semi, **sources)
        con.execute(f"create or replace temp {kind} {name} as {sql}")
    facts = facts.replace("{status}", _status_rows(con, literal, keys, rows))
    try:
        count = new_events.insert(con, _EVENTS.format(facts=facts), at)
    finally:
        for name in _KEY_ROWS:
            con.execute(f"drop {kind} if exists {name}")
    return count


def _status_rows(con: duckdb.DuckDBPyConnection, literal: str, keys: str | None, rows: KeyRows | None) -> str:
    """Where the expiries read order_status: the caller's rows, those it wrote as of `at` (older rows,
    other keys', pruned by as_of); some keys, those in their orders' due dates (a row has its order's)."""
    if rows is not None:
        return f"(select * from order_status where as_of = {literal})"
    if keys is None:
        return "order_status"
    return f"(select * from order_status where {key_index.span(con, 'nq_orders', 'due_date', 'due_date')})"


def list_events(
    con: duckdb.DuckDBPyConnection,
    merchant_id: str | None = None,
    state: str | None = None,
    limit: int = 200,
) -> list[dict]:
    """Outbox rows for operators, newest first (no personal data: the outbox holds none)."""
    if state is not None and state not in ("pending", "delivered", "dead"):
        raise KonbiniError(f"--state {state!r} is not one of pending, delivered, dead")
    cur = con.execute(
        """
        select event_id, type, merchant_id, order_id, amount, created_at, state, attempts,
               next_attempt_at, delivered_at, last_status_code, last_error
        from notification_outbox
        where ($merchant is null or merchant_id = $merchant) and ($state is null or state = $state)
        order by created_at desc, merchant_id, order_id, happened_at desc, event_id
        limit $limit
        """,
        {"merchant": merchant_id, "state": state, "limit": limit},
    )
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def replay(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    requested_by: str,
    event_id: str | None = None,
    merchant_id: str | None = None,
    since: datetime | None = None,
) -> list[str]:
    """Make events pending again, due at `as_of` with a fresh 72-hour window; the same event id is
    sent again. Either one `event_id`, or every event of `merchant_id` created at or after `since`.
    Each replay is recorded (who, when). Returns the event ids replayed. Run in a transaction."""
    if event_id is not None:
        found = con.execute("select 1 from notification_outbox where event_id = ?", [event_id]).fetchone()
        if found is None:
            raise KonbiniError(f"no notification with event id {event_id!r}")
        ids = [event_id]
    elif merchant_id is not None and since is not None:
        ids = [
            e
            for (e,) in con.execute(
                "select event_id from notification_outbox where merchant_id = ? and created_at >= ?"
                " order by event_id",
                [merchant_id, naive_jst(since)],
            ).fetchall()
        ]
    else:
        raise KonbiniError("replay needs an EVENT_ID, or both --merchant and --since")
    if not ids:
        return ids
    now = naive_jst(as_of)
    con.executemany(
        "insert into notification_replays values (?, ?, ?)", [[e, now, requested_by] for e in ids]
    )
    con.execute(
        "update notification_outbox set state = 'pending', window_start = $now, next_attempt_at = $now,"
        " dead_at = null where list_contains($ids, event_id)",
        {"now": now, "ids": ids},
    )
    return ids
