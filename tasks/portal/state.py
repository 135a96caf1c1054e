"""The web's own small database (stdlib sqlite3): users, sessions, login failures, audit log.

It is not the warehouse: a login or a page view never touches DuckDB's writer lock. One file
beside the warehouse (`<data>/web.sqlite3`); WAL mode so readers and the one writer do not block.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tasks.settings import Settings

SCHEMA = """
create table if not exists users (
    user_id       integer primary key,
    username      text not null unique,
    role          text not null check (role in ('merchant', 'operator')),
    merchant_id   text,              -- the one merchant of a merchant user; null for operators
    password_hash text not null,     -- argon2id (PHC string)
    disabled      integer not null default 0,
    created_at    text not null,
    check ((role = 'merchant') = (merchant_id is not null))
);
create table if not exists login_failures (
    username  text not null,          -- as typed (unknown names count too: same answer)
    at        real not null           -- unix time
);
create index if not exists login_failures_by_name on login_failures (username, at);
create table if not exists sessions (
    session_hash  text primary key,   -- sha256 of the cookie's id: a stolen file gives no session
    user_id       integer not null references users (user_id),
    csrf_token    text not null,
    created_at    real not null,
    last_seen_at  real not null
);
create table if not exists audit_log (
    at        text not null,          -- ISO time, JST
    username  text,                   -- who (as typed for a failed login)
    action    text not null,          -- login, login_failed, logout, download, resolve, replay, ...
    detail    text not null,          -- what (ids, ranges, formats; never a password or personal data)
    address   text                    -- from which address
);
"""


_READY: set[Path] = set()


def state_path(settings: Settings) -> Path:
    return settings.data_dir / "web.sqlite3"


@contextmanager
def connect(settings: Settings) -> Iterator[sqlite3.Connection]:
    """A connection with the schema in place, in one transaction taken for writing at once
    (`BEGIN IMMEDIATE`: no reader-turned-writer deadlock); committed on success, else rolled back."""
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        if path not in _READY:  # once per process and file: the schema, and WAL (a file setting)
            con.execute("pragma journal_mode=wal")
            con.executescript(SCHEMA)
            _READY.add(path)
        con.execute("pragma synchronous=normal")  # WAL: a commit survives a crash of the process
        con.execute("pragma foreign_keys=on")
        con.execute("begin immediate")
        with con:  # sqlite3's own context: commit, or roll back on an exception
            yield con
    finally:
        con.close()
