"""The audit log (portal.md): every login, failed login, logout, download and operator decision:
who, when, what, from which address; never a password or a customer's personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tasks.portal.state import connect
from tasks.settings import Settings


@dataclass(frozen=True)
class Entry:
    at: str
    username: str | None
    action: str
    detail: str
    address: str | None


def record(settings: Settings, at: datetime, username: str | None, action: str, detail: str,
           address: str | None) -> None:
    with connect(settings) as con:
        con.execute("insert into audit_log values (?, ?, ?, ?, ?)",
                    [at.isoformat(timespec="seconds"), username, action, detail, address])


def entries(settings: Settings, limit: int = 200) -> list[Entry]:
    """The latest entries, newest first."""
    with connect(settings) as con:
        rows = con.execute("select at, username, action, detail, address from audit_log"
                           " order by rowid desc limit ?", [limit]).fetchall()
    return [Entry(*r) for r in rows]
