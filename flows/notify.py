"""Delivering 速報 notifications: claim what is due, POST it, record the results (tasks.notify.delivery).

Scheduled every minute by the service (flows/serve.py). Short warehouse writes around the HTTP: the
claim, then each batch of results as it finishes.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from prefect.cache_policies import NO_CACHE

from flows import runtime
from tasks import clock
from tasks.notify import delivery
from tasks.settings import get_settings
from tasks.warehouse import open_warehouse

PUBLISH_EVERY = timedelta(minutes=10)
# Deliveries carry the merchants' secrets: never cached, never persisted as results.
_TASK = {"cache_policy": NO_CACHE, "persist_result": False}


@runtime.task(name="claim-notifications", **_TASK)
def claim_due(as_of: datetime, allow_loopback: bool, limit: int) -> list[list[delivery.Delivery]]:
    with open_warehouse().write() as con:
        return delivery.claim(con, as_of, allow_loopback, limit)


@runtime.task(name="send-notifications", **_TASK)
def send_and_record(
    chains: list[list[delivery.Delivery]], as_of: datetime, allow_loopback: bool, timeout_s: float,
    concurrency: int,
) -> dict[str, int]:
    """POST the claimed events; each batch of results is recorded as it finishes."""
    return delivery.send_and_record(open_warehouse().write, chains, as_of, allow_loopback=allow_loopback,
                                    timeout_s=timeout_s, concurrency=concurrency)


def _analytics_stale(path: Path) -> bool:
    """Publishing copies the whole warehouse: every minute would be too often for the delivery flow,
    so it refreshes the analysts' copy only when that is older than PUBLISH_EVERY."""
    return not path.exists() or time.time() - path.stat().st_mtime > PUBLISH_EVERY.total_seconds()


@runtime.flow(name="deliver-notifications", log_prints=False)
def deliver_notifications(
    as_of: datetime | None = None,
    timeout_s: float = delivery.DEFAULT_TIMEOUT_S,
    concurrency: int = delivery.DEFAULT_CONCURRENCY,
    limit: int = delivery.DEFAULT_LIMIT,
) -> dict[str, int]:
    """Send every due notification (new events and retries) once; returns counts of the attempts."""
    settings = get_settings()
    as_of = clock.jst(as_of) if as_of else clock.now()
    chains = claim_due(as_of, settings.notify_allow_loopback, limit)
    summary = send_and_record(chains, as_of, settings.notify_allow_loopback, timeout_s, concurrency)
    if summary["attempted"] and _analytics_stale(settings.analytics_path):
        open_warehouse(settings).publish()
    runtime.logger().info(
        "notifications at %s: %d attempted, %d delivered, %d failed, %d dead-lettered",
        as_of.isoformat(), summary["attempted"], summary["delivered"], summary["failed"], summary["dead"],
    )
    return summary
