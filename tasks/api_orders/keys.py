"""Merchants' API keys (portal.md): random, shown once, stored as a SHA-256 digest, revocable.

    create(store, merchant_id, now) -> (key_id, secret)   # the secret is never stored
    list_keys(store, merchant_id=None) -> list[dict]
    revoke(store, key_id, now) -> bool
    merchant_of(store, secret) -> str | None               # None: unknown or revoked

A key carries 256 random bits, so a fast digest suffices (no password stretching needed: it
cannot be guessed, only stolen, and the digest does not give it back).

Every request of the order API asks `merchant_of`: a process remembers the keys it verified (their
digests) and asks SQLite only for a key it has not seen. A revocation (any process: the CLI, another
worker) replaces the file `keys.revoked` beside the store after its commit; a process reads that
file's identity (one `stat`) on every call and forgets every verified key when it changed, so a
revoked key is refused from the first request after `revoke` returns. Unknown keys are not
remembered (a new key needs no signal).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import threading
from datetime import datetime
from pathlib import Path

from tasks.api_orders.store import Store

PREFIX = "kb_live_"
MAX_VERIFIED = 10_000  # keys remembered per store and process; beyond, start again


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(store: Store, merchant_id: str, now: datetime) -> tuple[str, str]:
    key_id = "K" + secrets.token_hex(6)
    secret = PREFIX + secrets.token_urlsafe(32)
    with store.tx() as con:
        con.execute("insert into api_keys values (?, ?, ?, ?, null)",
                    [key_id, merchant_id, _digest(secret), now.isoformat(timespec="seconds")])
    return key_id, secret


def list_keys(store: Store, merchant_id: str | None = None) -> list[dict]:
    rows = store.con().execute(
        "select key_id, merchant_id, created_at, revoked_at from api_keys"
        " where ? is null or merchant_id = ? order by merchant_id, created_at, key_id",
        [merchant_id, merchant_id]).fetchall()
    return [dict(r) for r in rows]


def revoke(store: Store, key_id: str, now: datetime) -> bool:
    with store.tx() as con:
        cur = con.execute("update api_keys set revoked_at = ? where key_id = ? and revoked_at is null",
                          [now.isoformat(timespec="seconds"), key_id])
    if cur.rowcount == 1:
        _signal_revocation(store)  # after the commit: a process that reloads then sees the revocation
    return cur.rowcount == 1


def merchant_of(store: Store, secret: str) -> str | None:
    digest = _digest(secret)
    verified = _verified(store)  # read before the lookup: a revocation after it empties the next one
    merchant = verified.get(digest)
    if merchant is None:
        row = store.con().execute(
            "select merchant_id from api_keys where key_hash = ? and revoked_at is null", [digest]).fetchone()
        if row is not None:
            merchant = verified[digest] = row[0]
    return merchant


def _signal_path(store: Store) -> Path:
    return store.path.with_name("keys.revoked")


def _signal_revocation(store: Store) -> None:
    """Replace the signal file (a new inode each time: the old one is still there when it is made)."""
    fd, tmp = tempfile.mkstemp(dir=store.path.parent, prefix=".keys.revoked.")
    os.close(fd)
    os.replace(tmp, _signal_path(store))


_VERIFIED: dict[Path, tuple[tuple[int, int] | None, dict[str, str]]] = {}  # store -> (signal, keys)
_LOCK = threading.Lock()


def _verified(store: Store) -> dict[str, str]:
    """This process's verified keys of `store` (digest -> merchant), emptied when a key was revoked."""
    try:
        st = os.stat(_signal_path(store))
        signal = (st.st_ino, st.st_mtime_ns)
    except FileNotFoundError:
        signal = None
    with _LOCK:
        seen, keys = _VERIFIED.get(store.path, (None, None))
        if keys is None or seen != signal or len(keys) >= MAX_VERIFIED:
            keys = {}
            _VERIFIED[store.path] = (signal, keys)
        return keys


def create_for(settings, merchant_id: str, now: datetime) -> tuple[str, str]:
    """A new key for a merchant of the master data (checked first: nothing is created otherwise)."""
    from tasks.api_orders.store import open_store
    from tasks.lookups import require_merchant
    from tasks.warehouse import open_warehouse

    with open_warehouse(settings).read() as con:
        require_merchant(con, merchant_id, "merchant")
    return create(open_store(settings), merchant_id, now)


def revoke_by_id(settings, key_id: str, now: datetime) -> None:
    """Revoke a key; an unknown or already revoked one is a clear error."""
    from tasks.api_orders.store import open_store
    from tasks.errors import KonbiniError

    if not revoke(open_store(settings), key_id, now):
        raise KonbiniError(f"key {key_id!r}: no such active API key (`konbini api-keys list`)")
