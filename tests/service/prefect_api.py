"""Calls to a Prefect server's REST API, for the service tests and bench/service."""

from __future__ import annotations

import time

import httpx


def api(url: str, method: str, path: str, body=None):
    """One API call; retried while the server answers 503 (busy SQLite), as Prefect's client does."""
    for attempt in range(20):
        r = httpx.request(method, f"{url}{path}", json=body, timeout=30)
        if r.status_code not in (429, 503):
            break
        time.sleep(min(0.5 * 2**attempt, 5))
    r.raise_for_status()
    return r.json() if r.content else None
