"""Merchants' API keys (portal.md): random, shown once, stored as a SHA-256 digest, revocable.

    create(store, merchant_id, now) -> (key_id, secret)   # the secret is never stored
    list_keys(store, merchant_id=None) -> list[dict]
    revoke(store, key_id, now) -> bool
    merchant_of(store, secret) -> str | None               # None: unknown or revoked

A key carries 256 random bits, so a fast digest suffices (no password stretching needed: it
cannot be guessed, only stolen, and the digest does not give it back).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from tasks.api_orders.store import Store

PREFIX = "kb_live_"


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
    return cur.rowcount == 1


def merchant_of(store: Store, secret: str) -> str | None:
    row = store.con().execute("select merchant_id from api_keys where key_hash = ? and revoked_at is null",
                              [_digest(secret)]).fetchone()
    return row[0] if row else None


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
