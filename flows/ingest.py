"""`pull_feeds(as_of=None, inbox=None)`: pull everything waiting in the inbox (orders, cancellations
and the chains' SEJ / FM / CVS files), publish the analysts' copy, and leave a table artifact of
what came in. Deployed every 10 minutes by the service area (flows/serve.py).

An inbox that cannot be reached only warns until it has been unreachable for 2 hours; from then
on every run fails (visible in the Prefect UI) until the inbox answers again.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from prefect.cache_policies import NO_CACHE

from flows import runtime
from tasks import clock
from tasks.inbox import FileOutcome
from tasks.ingest import RETRY_DELAYS, SourceUnreachable, pull
from tasks.settings import get_settings
from tasks.warehouse import open_warehouse

_TASK = {"cache_policy": NO_CACHE, "persist_result": False}
FEED_OF_KIND = {"SEJ_01": "SEJ", "SEJ_02": "SEJ", "FM_S": "FM", "FM_K": "FM", "CVS": "CVS"}


def summary_rows(outcomes: list[FileOutcome]) -> list[dict]:
    """The artifact's table: files by state, then records by feed and kind (accepted files)."""
    files = Counter(o.state for o in outcomes)
    rows = [{"what": "files", "item": state, "count": files[state]}
            for state in ("accepted", "duplicate", "quarantined", "rejected_name", "skipped") if files[state]]
    events: Counter[str] = Counter()
    for o in outcomes:
        if o.state == "accepted" and o.kind in FEED_OF_KIND:
            for kind in ("01", "02", "03"):
                events[f"{FEED_OF_KIND[o.kind]} {kind}"] += o.counts.get(kind, 0)
    rows += [{"what": "events", "item": key, "count": n} for key, n in sorted(events.items()) if n]
    orders = sum(o.counts.get("orders", 0) for o in outcomes if o.state == "accepted")
    if orders:
        rows.append({"what": "orders", "item": "registered", "count": orders})
    return rows


@runtime.task(name="pull-inbox", **_TASK)
def pull_inbox(as_of: datetime, inbox: str | None, retry_delays: list[float]) -> list[FileOutcome]:
    settings = get_settings()
    logger = runtime.logger()
    try:
        outcomes = pull(open_warehouse(settings), as_of, settings, inbox, retry_delays=retry_delays)
    except SourceUnreachable as e:
        if e.alert:
            raise
        logger.warning("%s; the next run tries again", e)
        return e.outcomes
    for o in outcomes:
        if o.state in ("quarantined", "rejected_name", "skipped"):
            logger.warning("%s %s: %s", o.name, o.state, "; ".join(str(r) for r in o.reasons[:5]))
    return outcomes


@runtime.task(name="publish-analytics", **_TASK)
def publish() -> None:
    open_warehouse().publish()


@runtime.flow(name="pull-feeds", retries=2, retry_delay_seconds=60, log_prints=False)
def pull_feeds(
    as_of: datetime | None = None, inbox: str | None = None, retry_delays: list[float] | None = None
) -> list[dict]:
    """Pull the inbox as of `as_of` (default now); `inbox` overrides settings.inbox_url;
    `retry_delays` (seconds) between attempts to reach it (default tasks.ingest.RETRY_DELAYS)."""
    as_of = clock.jst(as_of) if as_of else clock.now()
    delays = list(RETRY_DELAYS) if retry_delays is None else retry_delays
    outcomes = pull_inbox(as_of, inbox, delays)
    if any(o.state in ("accepted", "quarantined") for o in outcomes):
        publish()
    rows = summary_rows(outcomes)
    runtime.table_artifact(
        table=rows or [{"what": "files", "item": "none waiting", "count": 0}],
        key="pull-feeds",
        description=f"Inbox pull as of {as_of:%Y-%m-%d %H:%M} JST",
    )
    runtime.logger().info("pull at %s: %s", as_of.isoformat(),
                          ", ".join(f"{r['item']} {r['count']}" for r in rows) or "nothing waiting")
    return rows
