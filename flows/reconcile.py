"""Reconciliation (照合): recompute payments, order statuses and exceptions from the facts.

Scheduled by the service after each pull (an incremental run: only what changed since the last
run, same rows as a full one); operators rerun a failed or doubtful range from the Prefect UI or
`konbini reconcile` with `merchant`, `since`/`until` (a window of fact times, JST) or `full`.
"""

from __future__ import annotations

from datetime import datetime

from prefect.cache_policies import NO_CACHE

from flows import runtime
from tasks import clock
from tasks.lookups import require_reconcile_scope
from tasks.reconcile.report import summary_markdown
from tasks.reconcile.run import ReconcileResult
from tasks.reconcile.run import reconcile as reconcile_facts
from tasks.warehouse import open_warehouse


@runtime.task(name="reconcile-facts", cache_policy=NO_CACHE, persist_result=False)
def run_reconciliation(
    as_of: datetime | None, merchant: str | None, since: datetime | None, until: datetime | None, full: bool
) -> ReconcileResult:
    with open_warehouse().write() as con:
        # "now" is read once the writer lock is held: whatever committed while this run waited
        # (a pull, a resolution) is stamped earlier and is therefore seen, never hidden.
        return reconcile_facts(con, as_of or clock.now(), merchant=merchant, since=since, until=until,
                               incremental=not full)


@runtime.task(name="publish-warehouse", cache_policy=NO_CACHE, persist_result=False)
def publish() -> None:
    open_warehouse().publish()


@runtime.flow(name="reconcile", log_prints=False)
def reconcile(
    as_of: datetime | None = None,
    merchant: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    full: bool = False,
) -> dict:
    """Reconcile as of `as_of` (default now, JST). Without merchant/since/until: incremental since
    the last run (full=True: everything from scratch). Returns the run's counts."""
    as_of = clock.jst(as_of) if as_of else None
    since = clock.jst(since) if since else None
    until = clock.jst(until) if until else None
    require_reconcile_scope(open_warehouse(), merchant, since, until)  # a bad one fails before any work
    result = run_reconciliation(as_of, merchant, since, until, full)
    runtime.markdown_artifact(
        key="reconcile-summary", markdown=summary_markdown(result),
        description=f"reconciliation as of {result.as_of:%Y-%m-%d %H:%M} JST",
    )
    publish()
    runtime.logger().info(
        "reconciled as of %s (%s): %d orders, %d payments, %d exceptions recomputed; %d open",
        result.as_of.isoformat(), result.scope, result.orders, result.payments, result.exceptions,
        result.open_exceptions,
    )
    return {
        "run_id": result.run_id, "as_of": result.as_of, "scope": result.scope, "orders": result.orders,
        "payments": result.payments, "exceptions": result.exceptions,
        "open_exceptions": result.open_exceptions, "status_counts": result.status_counts,
        "raised": result.raised, "cleared": result.cleared, "notifications": result.notifications,
    }
