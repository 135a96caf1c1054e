"""`pull_feeds(as_of=None, inbox=None)`: pull everything waiting in the inbox (orders, cancellations
and the chains' SEJ / FM / CVS files), publish the analysts' copy, and leave a table artifact of
what came in. Deployed every 10 minutes by the service area (flows/serve.py).

The run's state tells operations what to look at in the Prefect UI:
- `Completed`: everything taken in;
- `Completed with quarantines` / `Completed with rejections`: a file was quarantined, or an entry was
  rejected unread, could not be read or could not be moved aside; the artifact `pull-feeds` names
  each with its reasons;
- `Failed`: the inbox, or one of its entries, has failed for 2 hours or more (before, it only warns).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed, State

from flows import runtime
from tasks import clock
from tasks.inbox import FileOutcome
from tasks.inbox_kinds import BY_KIND
from tasks.ingest import RETRY_DELAYS, SourceUnreachable
from tasks.intake_pull import export_and_pull
from tasks.settings import get_settings
from tasks.warehouse import open_warehouse

_TASK = {"cache_policy": NO_CACHE, "persist_result": False}
STATES = ("accepted", "duplicate", "quarantined", "rejected_name", "rejected_entry", "unreadable", "vanished")
REASONS_SHOWN = 20  # per file in the artifact; `konbini files` shows every one


def summary_rows(outcomes: list[FileOutcome]) -> list[dict]:
    """The artifact's table: files by state, then records by feed and kind (accepted files)."""
    files = Counter(o.state for o in outcomes)
    rows = [{"what": "files", "item": state, "count": files[state]} for state in STATES if files[state]]
    not_moved = sum(o.not_moved is not None for o in outcomes)
    if not_moved:
        rows.append({"what": "files", "item": "not moved aside", "count": not_moved})
    events: Counter[str] = Counter()
    for o in outcomes:
        feed = BY_KIND[o.kind].feed if o.kind in BY_KIND else None
        if o.state == "accepted" and feed:
            for kind in ("01", "02", "03"):
                events[f"{feed} {kind}"] += o.counts.get(kind, 0)
    rows += [{"what": "events", "item": key, "count": n} for key, n in sorted(events.items()) if n]
    orders = sum(o.counts.get("orders", 0) for o in outcomes if o.state == "accepted")
    if orders:
        rows.append({"what": "orders", "item": "registered", "count": orders})
    return rows


def attention_rows(outcomes: list[FileOutcome]) -> list[dict]:
    """One row per file needing attention: its state, folder/name, and its reasons."""
    rows = []
    for o in outcomes:
        if not o.needs_attention:
            continue
        folder = BY_KIND[o.kind].folder if o.kind in BY_KIND else o.kind
        reasons = [str(r) for r in o.reasons] + ([o.not_moved] if o.not_moved else [])
        shown = "; ".join(reasons[:REASONS_SHOWN])
        if len(reasons) > REASONS_SHOWN:
            shown += f"; … and {len(reasons) - REASONS_SHOWN} more (konbini files)"
        state = o.state if o.state in ("quarantined", "rejected_name", "rejected_entry", "unreadable") \
            else f"{o.state}, not moved aside"
        rows.append({"what": state + (" (2 hours or more)" if o.alert else ""),
                     "item": f"{folder}/{o.name}" if folder else o.name, "count": len(reasons),
                     "reasons": shown})
    return rows


def final_state(outcomes: list[FileOutcome], rows: list[dict]) -> State:
    """Completed, flagged by name when a file needs attention; Failed when one has for 2 hours."""
    stuck = [o for o in outcomes if o.alert]
    if stuck:
        names = ", ".join(o.name for o in stuck)
        return Failed(message=f"inbox entries failing for 2 hours or more: {names}", data=rows)
    attention = [o for o in outcomes if o.needs_attention]
    if not attention:
        return Completed(data=rows)
    quarantined = sum(o.state == "quarantined" for o in attention)
    name = "Completed with quarantines" if quarantined else "Completed with rejections"
    message = f"{len(attention)} file(s) need attention ({quarantined} quarantined): see artifact pull-feeds"
    return Completed(name=name, message=message, data=rows)


@runtime.task(name="pull-inbox", **_TASK)
def pull_inbox(as_of: datetime, inbox: str | None, retry_delays: list[float]) -> list[FileOutcome]:
    settings = get_settings()
    logger = runtime.logger()
    try:
        warehouse = open_warehouse(settings)
        outcomes = export_and_pull(warehouse, as_of, settings, inbox, retry_delays=retry_delays)
    except SourceUnreachable as e:
        if e.alert:
            raise
        logger.warning("%s; the next run tries again", e)
        return e.outcomes
    for o in outcomes:
        if o.needs_attention:
            why = [str(r) for r in o.reasons[:5]] + ([o.not_moved] if o.not_moved else [])
            logger.warning("%s %s: %s", o.name, o.state, "; ".join(why))
    return outcomes


@runtime.task(name="publish-analytics", **_TASK)
def publish() -> None:
    open_warehouse().publish()


@runtime.flow(name="pull-feeds", retries=2, retry_delay_seconds=60, log_prints=False)
def pull_feeds(
    as_of: datetime | None = None, inbox: str | None = None, retry_delays: list[float] | None = None
) -> State:
    """Pull the inbox as of `as_of` (default now); `inbox` overrides settings.inbox_url;
    `retry_delays` (seconds) between attempts to reach it (default tasks.ingest.RETRY_DELAYS).
    The run's result is the summary table (what, item, count)."""
    as_of = clock.jst(as_of) if as_of else clock.now()
    delays = list(RETRY_DELAYS) if retry_delays is None else retry_delays
    outcomes = pull_inbox(as_of, inbox, delays)
    if any(o.state in ("accepted", "quarantined") for o in outcomes):
        publish()
    rows = summary_rows(outcomes)
    table = [{**r, "reasons": ""} for r in rows] + attention_rows(outcomes)
    runtime.table_artifact(
        table=table or [{"what": "files", "item": "none waiting", "count": 0, "reasons": ""}],
        key="pull-feeds",
        description=f"Inbox pull as of {as_of:%Y-%m-%d %H:%M} JST",
    )
    runtime.logger().info("pull at %s: %s", as_of.isoformat(),
                          ", ".join(f"{r['item']} {r['count']}" for r in rows) or "nothing waiting")
    return final_state(outcomes, rows)
