"""The notification outbox (速報 notifications): events derived from the facts of a reconciliation.

`enqueue_events` is called by the reconciliation inside its own transaction.
"""

from __future__ import annotations

from datetime import datetime

import duckdb


def enqueue_events(con: duckdb.DuckDBPyConnection, as_of: datetime) -> int:
    """Insert the events of new facts into notification_outbox; returns how many were inserted."""
    return 0
