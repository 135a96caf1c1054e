"""Japan time. Everything below the flows takes an explicit `as_of`; nothing here reads the wall clock
except `now()`, which only flows and the CLI call."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def now() -> datetime:
    return datetime.now(JST)


def jst(dt: datetime) -> datetime:
    """An aware JST datetime (a naive one is taken to be JST already)."""
    return dt.replace(tzinfo=JST) if dt.tzinfo is None else dt.astimezone(JST)


def naive_jst(dt: datetime) -> datetime:
    """The warehouse stores JST wall-clock TIMESTAMPs without zone: one convention, no ICU."""
    return jst(dt).replace(tzinfo=None)


def parse_as_of(text: str) -> datetime:
    """`2026-11-20`, `2026-11-20T07:00` or with an offset; dates mean 00:00 JST."""
    if len(text) == 10:
        d = date.fromisoformat(text)
        return datetime(d.year, d.month, d.day, tzinfo=JST)
    return jst(datetime.fromisoformat(text))
