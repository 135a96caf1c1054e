"""When a failed notification is tried again, and when it is given up (rules.md, docs/webhooks.md).

After the n-th failed attempt of its retry window an event waits 1, 2, 4 … minutes (at most one
hour). The window is 72 hours **from the window's first attempt** — the first attempt after the
event was created, or after its last replay — so an event that waited (our delivery was down, or
an earlier event of its order was failing) still gets its 72 hours of retries. A failed attempt
made 72 hours or more after that first attempt is the last one: the event is dead-lettered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

RETRY_WINDOW = timedelta(hours=72)
MAX_BACKOFF = timedelta(hours=1)


def backoff(failures: int) -> timedelta:
    """Wait after the `failures`-th failed attempt of the window: 1, 2, 4 … minutes, at most 1 hour."""
    return min(timedelta(minutes=2 ** min(max(failures - 1, 0), 10)), MAX_BACKOFF)


def after_attempt(
    delivered: bool, now: datetime, first_attempt_at: datetime | None, failures: int
) -> tuple[str, datetime]:
    """(state, next attempt) after an attempt at `now`; `first_attempt_at` is the window's first
    attempt before this one (None when this is the first), `failures` the window's failed attempts
    before this one."""
    if delivered:
        return "delivered", now
    if now >= (first_attempt_at or now) + RETRY_WINDOW:
        return "dead", now
    return "pending", now + backoff(failures + 1)
