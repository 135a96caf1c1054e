"""Delivering the outbox: claim what is due, send it, record each result as it comes back.

No DuckDB transaction is open during HTTP (tasks.warehouse):
1. `claim` (one short write): the due events, each order's events as a chain in the order they
   happened; a chain starts at the order's earliest undelivered event and stops at the first one not
   due, so a later event waits while an earlier one is failing. Claimed events get a lease (their next
   attempt moved forward) so an overlapping run cannot send them too; a crash mid-run only delays them.
2. `send_and_record`: tasks.notify.sender posts the chains (bounded per target, one deadline per
   request) and hands back finished attempts in batches; each batch is recorded at once (a short
   write: notification_attempts and the new delivery state, by the rule of tasks.notify.retry), and
   claimed events that were not sent lose their lease at the end.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb
import polars as pl

from tasks.clock import naive_jst
from tasks.notify import retry, sender, signing
from tasks.notify.outbox import ORDER_KEY
from tasks.notify.targets import Resolver, redact, refusal

DEFAULT_TIMEOUT_S = sender.DEFAULT_TIMEOUT_S
DEFAULT_CONCURRENCY = sender.DEFAULT_CONCURRENCY
DEFAULT_LIMIT = 10_000
LEASE = timedelta(minutes=15)  # how long a claimed event is not claimed again (crash mid-run)


@dataclass(frozen=True)
class Delivery:
    """One event to send now, with its merchant's current target."""

    event_id: str
    merchant_id: str
    order_id: str
    attempt: int  # the number this attempt will have (1, 2, …)
    first_attempt_at: datetime | None  # naive JST: the retry window's first attempt (None: not yet)
    window_failures: int  # failed attempts so far within the retry window
    url: str | None
    secret: str | None = field(repr=False)  # never in logs
    body: bytes
    refused: str | None  # why the target may not be used (the attempt fails without HTTP)


@dataclass(frozen=True)
class Result:
    event_id: str
    attempt: int
    attempted_at: datetime  # naive JST: the delivery run's as_of
    url: str  # without user:password
    status_code: int | None
    latency_ms: int
    error: str | None
    delivered: bool
    state: str  # delivered, pending, dead
    next_attempt_at: datetime  # naive JST (unchanged meaning once delivered or dead)


def result(d: Delivery, now: datetime, a: sender.Attempt) -> Result:
    """The Result of attempt `a` of `d` at `now` (naive JST), with its new state."""
    state, next_at = retry.after_attempt(a.error is None, now, d.first_attempt_at, d.window_failures)
    return Result(d.event_id, d.attempt, now, redact(d.url), a.status_code, a.latency_ms, a.error,
                  a.error is None, state, next_at)


# Per order, the pending events in order; only the prefix before the first one not due is sent.
_DUE = """
with pending as (
    select *, row_number() over (partition by merchant_id, order_id order by {order_key}) as pos
    from notification_outbox where state = 'pending' {only}
),
blocked as (
    select *, min(case when next_attempt_at > $now then pos end)
                  over (partition by merchant_id, order_id) as blocked_from
    from pending
),
due as (select * from blocked where blocked_from is null or pos < blocked_from),
tries as (  -- the retry window's attempts so far (all failed: a delivered event is not pending)
    select a.event_id, count(*) as n, min(a.attempted_at) as first_at
    from notification_attempts a join due d using (event_id)
    where a.attempted_at >= d.window_start group by a.event_id
)
select d.event_id, d.type, d.merchant_id, d.order_id, d.chain, d.amount, d.paid_at, d.store_code,
       d.attempts, t.first_at, coalesce(t.n, 0), d.next_attempt_at, m.notify_url, m.notify_secret
from due d
left join tries t using (event_id)
left join current_merchants m on m.merchant_id = d.merchant_id
order by d.merchant_id, d.order_id, d.pos
"""


def claim(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    allow_loopback: bool,
    limit: int = DEFAULT_LIMIT,
    event_ids: list[str] | None = None,
) -> list[list[Delivery]]:
    """The chains of events to send at `as_of` (one per order); leases them. Run in a transaction.

    `event_ids`: only the orders holding one of these events (a replay); their chains still start
    at the order's earliest undelivered event."""
    now = naive_jst(as_of)
    only = ("and (merchant_id, order_id) in (select (merchant_id, order_id) from notification_outbox"
            " where list_contains($ids, event_id))") if event_ids is not None else ""
    params = {"now": now} | ({"ids": event_ids} if event_ids is not None else {})
    rows = con.execute(_DUE.format(order_key=ORDER_KEY, only=only), params).fetchall()
    chains: list[list[Delivery]] = []
    current: tuple[str, str] | None = None
    blocked = False
    total = 0
    for (event_id, type_, merchant_id, order_id, chain, amount, paid_at, store_code, attempts,
         first_at, failures, next_attempt_at, url, secret) in rows:
        if (merchant_id, order_id) != current:
            if total >= limit:
                break
            current, blocked = (merchant_id, order_id), False
            chains.append([])
        if blocked or next_attempt_at > now:
            blocked = True  # a later event of the order waits for this one
            continue
        why = refusal(url, allow_loopback)
        if why is None and not secret:
            why = f"merchant {merchant_id} has no notify_secret"
        payload = signing.body(
            {"event_id": event_id, "type": type_, "merchant_id": merchant_id, "order_id": order_id,
             "chain": chain, "amount": amount, "paid_at": paid_at, "store_code": store_code}
        )
        chains[-1].append(Delivery(event_id, merchant_id, order_id, attempts + 1, first_at, failures,
                                   url, secret, payload, why))
        total += 1
    chains = [c for c in chains if c]
    _set_next_attempt(con, [d.event_id for c in chains for d in c], now + LEASE)
    return chains


def _set_next_attempt(con: duckdb.DuckDBPyConnection, event_ids: list[str], at: datetime) -> None:
    if not event_ids:
        return
    con.register("notify_ids", pl.DataFrame({"event_id": event_ids}, schema={"event_id": pl.String}))
    try:
        con.execute(
            "update notification_outbox o set next_attempt_at = $at from notify_ids i"
            " where o.event_id = i.event_id",
            {"at": at},
        )
    finally:
        con.unregister("notify_ids")


_RESULT_SCHEMA = {
    "event_id": pl.String, "attempt": pl.Int32, "attempted_at": pl.Datetime("us"), "url": pl.String,
    "status_code": pl.Int32, "latency_ms": pl.Int64, "error": pl.String, "delivered": pl.Boolean,
    "state": pl.String, "next_attempt_at": pl.Datetime("us"),
}


def record(con: duckdb.DuckDBPyConnection, results: list[Result]) -> dict[str, int]:
    """Log the attempts and set each event's delivery state. Run in a transaction."""
    summary = {"attempted": len(results), "delivered": 0, "failed": 0, "dead": 0}
    if not results:
        return summary
    frame = pl.DataFrame([r.__dict__ for r in results], schema=_RESULT_SCHEMA)
    con.register("notify_results", frame)
    try:
        con.execute(
            "insert into notification_attempts select event_id, attempt, attempted_at, url, status_code,"
            " latency_ms, error, delivered from notify_results"
        )
        con.execute(
            """
            update notification_outbox o set
                state = r.state,
                attempts = r.attempt,
                next_attempt_at = r.next_attempt_at,
                delivered_at = case when r.delivered then r.attempted_at else o.delivered_at end,
                dead_at = case when r.state = 'dead' then r.attempted_at else o.dead_at end,
                last_status_code = r.status_code,
                last_error = r.error
            from notify_results r
            where o.event_id = r.event_id
            """
        )
    finally:
        con.unregister("notify_results")
    for r in results:
        summary["delivered" if r.delivered else "dead" if r.state == "dead" else "failed"] += 1
    return summary


def release(con: duckdb.DuckDBPyConnection, chains: list[list[Delivery]], sent: set[str],
            as_of: datetime) -> None:
    """Claimed events that were not sent (behind a failed one, or past the run's budget) lose their
    lease: they are due again at once. Run in a transaction."""
    unsent = [d.event_id for c in chains for d in c if d.event_id not in sent]
    _set_next_attempt(con, unsent, naive_jst(as_of))


def send_and_record(
    write: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    chains: list[list[Delivery]],
    as_of: datetime,
    *,
    allow_loopback: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    concurrency: int = DEFAULT_CONCURRENCY,
    resolver: Resolver | None = None,
    verify: ssl.SSLContext | bool = True,
    budget_s: float = sender.RUN_BUDGET_S,
) -> dict[str, int]:
    """Send the claimed chains and record each batch of results as it finishes (`write()` opens one
    transaction, e.g. `Warehouse.write`); returns counts of the attempts."""
    now = naive_jst(as_of)
    summary = {"attempted": 0, "delivered": 0, "failed": 0, "dead": 0}
    sent: set[str] = set()
    batches = sender.send(chains, as_of, timeout_s=timeout_s, concurrency=concurrency,
                          allow_loopback=allow_loopback, resolver=resolver, verify=verify, budget_s=budget_s)
    for batch in batches:
        results = [result(d, now, a) for d, a in batch]
        with write() as con:
            for k, n in record(con, results).items():
                summary[k] += n
        sent.update(r.event_id for r in results)
    with write() as con:
        release(con, chains, sent, as_of)
    return summary


def deliver_due(warehouse, as_of: datetime, allow_loopback: bool = False, limit: int = DEFAULT_LIMIT,
                event_ids: list[str] | None = None, **send_options) -> dict[str, int]:
    """Claim, then send and record (the flow and the CLI's replay); `send_options` as
    `send_and_record` (timeout_s, concurrency, resolver, verify, budget_s)."""
    with warehouse.write() as con:
        chains = claim(con, as_of, allow_loopback, limit, event_ids)
    return send_and_record(warehouse.write, chains, as_of, allow_loopback=allow_loopback, **send_options)
