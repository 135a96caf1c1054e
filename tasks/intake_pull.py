"""One pull of everything that came in: the order API's intake is exported into the inbox first
(tasks/api_orders/export.py: its accepted orders and cancellations as API_ORDERS / API_CANCELS
files), then the inbox is pulled (tasks/ingest.py). `konbini ingest` and the pull-feeds flow both
call it, so neither can forget the API's orders.

    export_and_pull(warehouse, as_of, settings, inbox=None, *, retry_delays=RETRY_DELAYS) -> [FileOutcome]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tasks.api_orders.export import export
from tasks.inbox import FileOutcome
from tasks.ingest import RETRY_DELAYS, pull
from tasks.settings import Settings
from tasks.warehouse import Warehouse


def export_and_pull(
    warehouse: Warehouse,
    as_of: datetime,
    settings: Settings,
    inbox: str | None = None,
    *,
    retry_delays: Sequence[float] = RETRY_DELAYS,
) -> list[FileOutcome]:
    """Export the API's intake into `inbox` (default settings.inbox_url), then pull that inbox."""
    export(settings, as_of, inbox)
    return pull(warehouse, as_of, settings, inbox, retry_delays=retry_delays)
