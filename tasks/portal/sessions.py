"""Web sessions (portal.md): a random id in the cookie (only its hash is stored), 30 minutes idle,
12 hours at most, a new id at every login, ended on the server at logout; a CSRF token per session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from tasks.portal.accounts import User, get_user
from tasks.portal.state import connect
from tasks.settings import Settings

IDLE_S = 30 * 60
MAX_S = 12 * 3600
TOUCH_EVERY_S = 30  # idle time is counted to within this


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(settings: Settings, user: User, now: float, previous_id: str | None = None) -> str:
    """A new session id for `user` (the previous one, if any, ends: no fixation)."""
    session_id = secrets.token_urlsafe(32)
    with connect(settings) as con:
        if previous_id:
            con.execute("delete from sessions where session_hash = ?", [_hash(previous_id)])
        con.execute("delete from sessions where last_seen_at < ? or created_at < ?",
                    [now - IDLE_S, now - MAX_S])
        con.execute("insert into sessions values (?, ?, ?, ?, ?)",
                    [_hash(session_id), user.user_id, secrets.token_urlsafe(32), now, now])
    return session_id


def resume(settings: Settings, session_id: str | None, now: float) -> Session | None:
    """The live session of this id (its idle clock restarted), or None: unknown, expired, disabled."""
    if not session_id:
        return None
    with connect(settings) as con:
        row = con.execute("select user_id, csrf_token, created_at, last_seen_at from sessions"
                          " where session_hash = ?", [_hash(session_id)]).fetchone()
        if row is None:
            return None
        user_id, csrf, created, seen = row
        user = get_user(con, user_id)
        if now - seen > IDLE_S or now - created > MAX_S or user is None or user.disabled:
            con.execute("delete from sessions where session_hash = ?", [_hash(session_id)])
            return None
        if now - seen > TOUCH_EVERY_S:  # the idle clock needs no write on every page
            con.execute("update sessions set last_seen_at = ? where session_hash = ?",
                        [now, _hash(session_id)])
        return Session(user, csrf)


def end(settings: Settings, session_id: str | None) -> None:
    if session_id:
        with connect(settings) as con:
            con.execute("delete from sessions where session_hash = ?", [_hash(session_id)])


def csrf_ok(session: Session, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf_token, token)
