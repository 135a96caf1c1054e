"""Option parsing and cell formatting shared by the command modules."""

from __future__ import annotations

from datetime import datetime

from tasks import clock
from tasks.errors import KonbiniError


def time_option(text: str | None, option: str = "--as-of") -> datetime | None:
    """A JST datetime from `2026-11-20` or `2026-11-20T07:00` (None when not given)."""
    if text is None:
        return None
    try:
        return clock.parse_as_of(text)
    except ValueError:
        raise KonbiniError(
            f"{option} {text!r} is not a date or time (e.g. 2026-11-20 or 2026-11-20T07:00)"
        ) from None


def as_of_option(text: str | None) -> datetime:
    """`--as-of`, defaulting to now (JST): only the CLI and flows read the wall clock."""
    return clock.now() if text is None else time_option(text)


def cell(value) -> str:
    """A table cell: empty for null, times to the second."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
