"""Delivering the outbox: claim what is due, POST it concurrently, record what happened.

Three steps so that no DuckDB transaction is open during HTTP (tasks.warehouse):
1. `claim` (one short write): the due events, each order's events as a chain in the order they
   happened; a chain starts at the order's earliest undelivered event and stops at the first one not
   due, so a later event waits while an earlier one is failing. Claimed events get a lease (their next
   attempt moved forward) so an overlapping run cannot send them too; a crash mid-run only delays them.
2. `send` (no database): the orders concurrently (a thread pool); within an order the events go one
   after another and a failure stops the rest of that order's chain.
3. `record` (one short write): every attempt into notification_attempts, and the new delivery state.

Retry (rules.md): 2xx within `timeout_s` (10 s) is delivered; anything else (3xx included: redirects are
not followed) is retried after 1, 2, 4 … minutes (capped at 1 hour) counted within the retry window;
a failed attempt made 72 hours or more after the window start (creation, or the last replay) is the
last: the event is dead-lettered. An event is therefore always attempted at least once.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb
import httpx
import polars as pl

from tasks.clock import jst, naive_jst
from tasks.notify import signing
from tasks.notify.outbox import ORDER_KEY
from tasks.notify.targets import refusal

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_CONCURRENCY = 32
DEFAULT_LIMIT = 10_000
RETRY_WINDOW = timedelta(hours=72)
MAX_BACKOFF = timedelta(hours=1)
LEASE = timedelta(minutes=15)  # how long a claimed event is not claimed again (crash mid-run)



@dataclass(frozen=True)
class Delivery:
    """One event to send now, with its merchant's current target."""

    event_id: str
    merchant_id: str
    order_id: str
    attempt: int  # the number this attempt will have (1, 2, …)
    window_start: datetime  # naive JST
    window_attempts: int  # failed attempts so far within the retry window
    url: str | None
    secret: str | None = field(repr=False)  # never in logs
    body: bytes
    refused: str | None  # why the target may not be used (the attempt fails without HTTP)


@dataclass(frozen=True)
class Result:
    event_id: str
    attempt: int
    attempted_at: datetime  # naive JST: the delivery run's as_of
    url: str
    status_code: int | None
    latency_ms: int
    error: str | None
    delivered: bool
    state: str  # delivered, pending, dead
    next_attempt_at: datetime  # naive JST (unchanged meaning once delivered or dead)


def backoff(failures: int) -> timedelta:
    """Wait after the `failures`-th failed attempt of the window: 1, 2, 4 … minutes, at most 1 hour."""
    return min(timedelta(minutes=2 ** min(max(failures - 1, 0), 10)), MAX_BACKOFF)


def claim(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    allow_loopback: bool,
    limit: int = DEFAULT_LIMIT,
    event_ids: list[str] | None = None,
) -> list[list[Delivery]]:
    """The chains of events to send at `as_of` (one per order); leases them. Run in a transaction."""
    now = naive_jst(as_of)
    only = ""
    params: dict = {}
    if event_ids is not None:
        # orders holding one of these events; their chains still start at the earliest undelivered one
        only = ("and (merchant_id, order_id) in (select (merchant_id, order_id) from notification_outbox"
                " where list_contains($ids, event_id))")
        params["ids"] = event_ids
    # Per order, the pending events in order; only the prefix before the first one not due is sent.
    params["now"] = now
    rows = con.execute(
        f"""
        with pending as (
            select *, row_number() over (partition by merchant_id, order_id order by {ORDER_KEY}) as pos
            from notification_outbox where state = 'pending' {only}
        ),
        blocked as (
            select *, min(case when next_attempt_at > $now then pos end)
                          over (partition by merchant_id, order_id) as blocked_from
            from pending
        ),
        due as (select * from blocked where blocked_from is null or pos < blocked_from),
        tries as (
            select a.event_id, count(*) as n from notification_attempts a join due d using (event_id)
            where a.attempted_at >= d.window_start group by a.event_id
        )
        select d.event_id, d.type, d.merchant_id, d.order_id, d.chain, d.amount, d.paid_at, d.store_code,
               d.attempts, d.window_start, d.next_attempt_at, coalesce(t.n, 0) as window_attempts,
               m.notify_url, m.notify_secret
        from due d
        left join tries t using (event_id)
        left join current_merchants m on m.merchant_id = d.merchant_id
        order by d.merchant_id, d.order_id, d.pos
        """,
        params,
    ).fetchall()
    chains: list[list[Delivery]] = []
    current: tuple[str, str] | None = None
    blocked = False
    total = 0
    for (event_id, type_, merchant_id, order_id, chain, amount, paid_at, store_code, attempts,
         window_start, next_attempt_at, window_attempts, url, secret) in rows:
        key = (merchant_id, order_id)
        if key != current:
            if total >= limit:
                break
            current, blocked = key, False
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
        chains[-1].append(
            Delivery(event_id, merchant_id, order_id, attempts + 1, window_start, window_attempts,
                     url, secret, payload, why)
        )
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


def _outcome(d: Delivery, now: datetime, status: int | None, latency_ms: int, error: str | None) -> Result:
    delivered = error is None
    if delivered:
        state, next_at = "delivered", now
    elif now >= d.window_start + RETRY_WINDOW:
        state, next_at = "dead", now
    else:
        state, next_at = "pending", now + backoff(d.window_attempts + 1)
    return Result(
        d.event_id, d.attempt, now, d.url or "", status, latency_ms, error, delivered, state, next_at
    )


class _Sender:
    """POSTs from a pool of threads, one httpx.Client (one keep-alive connection pool) per thread.

    Measured on our machines, sync clients in threads send several times faster than one
    httpx.AsyncClient shared by many coroutines (docs/benchmarks.md, ## Notifications).
    """

    def __init__(self, as_of: datetime, timeout_s: float):
        self.as_of, self.timeout_s = as_of, timeout_s
        self.t0 = time.monotonic()
        self.local = threading.local()
        self.clients: list[httpx.Client] = []
        self.lock = threading.Lock()

    def client(self) -> httpx.Client:
        c = getattr(self.local, "client", None)
        if c is None:
            c = httpx.Client(timeout=httpx.Timeout(self.timeout_s), follow_redirects=False, trust_env=False)
            self.local.client = c
            with self.lock:
                self.clients.append(c)
        return c

    def close(self) -> None:
        for c in self.clients:
            c.close()

    def post(self, d: Delivery) -> tuple[int | None, int, str | None]:
        """(status code, latency ms, error or None when delivered) of one POST."""
        started = time.monotonic()
        # the timestamp is the real sending time on the run's clock (as_of + time elapsed in the run)
        timestamp = int(self.as_of.timestamp() + (started - self.t0))
        headers = signing.headers(d.event_id, d.secret, timestamp, d.body)
        try:
            response = self.client().post(d.url, content=d.body, headers=headers)
        except httpx.TimeoutException:
            return None, _ms(started), f"no answer within {self.timeout_s:g} s"
        except httpx.HTTPError as e:
            return None, _ms(started), f"{type(e).__name__}: {e}"[:500]
        latency, code = _ms(started), response.status_code
        if latency > self.timeout_s * 1000:  # httpx times each read; the rule is the whole answer
            return code, latency, f"answered after {latency / 1000:.1f} s (limit {self.timeout_s:g} s)"
        if 200 <= code < 300:
            return code, latency, None
        if 300 <= code < 400:
            return code, latency, f"HTTP {code}: redirects are not followed"
        return code, latency, f"HTTP {code}"


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def send(chains: list[list[Delivery]], as_of: datetime, timeout_s: float = DEFAULT_TIMEOUT_S,
         concurrency: int = DEFAULT_CONCURRENCY) -> list[Result]:
    """POST every claimed event (no database access); returns one Result per attempt made.

    Orders go concurrently (`concurrency` threads); within an order the events go one after another
    and a failure stops the rest of that order's chain (they wait for the next run)."""
    if not chains:
        return []
    now = naive_jst(as_of)
    sender = _Sender(jst(as_of), timeout_s)

    def one_order(chain: list[Delivery]) -> list[Result]:
        done = []
        for d in chain:
            status, latency, error = (None, 0, d.refused) if d.refused else sender.post(d)
            done.append(_outcome(d, now, status, latency, error))
            if error:
                break
        return done

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(chains)))) as pool:
            return [r for done in pool.map(one_order, chains) for r in done]
    finally:
        sender.close()


_RESULT_SCHEMA = {
    "event_id": pl.String, "attempt": pl.Int32, "attempted_at": pl.Datetime("us"), "url": pl.String,
    "status_code": pl.Int32, "latency_ms": pl.Int64, "error": pl.String, "delivered": pl.Boolean,
    "state": pl.String, "next_attempt_at": pl.Datetime("us"),
}


def record(
    con: duckdb.DuckDBPyConnection, chains: list[list[Delivery]], results: list[Result], as_of: datetime
) -> dict[str, int]:
    """Log every attempt and set each event's delivery state; claimed events that were not sent
    (they wait behind a failed one) lose their lease. Run in a transaction."""
    summary = {"attempted": len(results), "delivered": 0, "failed": 0, "dead": 0}
    sent = {r.event_id for r in results}
    unsent = [d.event_id for c in chains for d in c if d.event_id not in sent]
    _set_next_attempt(con, unsent, naive_jst(as_of))
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


def deliver_due(
    warehouse,
    as_of: datetime,
    allow_loopback: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    concurrency: int = DEFAULT_CONCURRENCY,
    limit: int = DEFAULT_LIMIT,
    event_ids: list[str] | None = None,
) -> dict[str, int]:
    """Claim, send and record in one call (the CLI's replay; the flow wires the three steps itself)."""
    with warehouse.write() as con:
        chains = claim(con, as_of, allow_loopback, limit, event_ids)
    results = send(chains, as_of, timeout_s, concurrency)
    with warehouse.write() as con:
        return record(con, chains, results, as_of)
