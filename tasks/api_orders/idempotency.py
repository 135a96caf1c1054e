"""`Idempotency-Key` (portal.md): the same key and body within 24 hours gets the first answer; the
same key with another body is a conflict (409). Keys are per merchant.

    recall(store, merchant_id, key, body, now) -> (status, answer) | CONFLICT | None
    remember(store, merchant_id, key, body, status, answer, now) -> the first (status, answer)
    decided(con, …) / keep(con, …)     # the same, inside the caller's store transaction

The order pipeline (pipeline.py) decides and keeps a key's answer in the transaction that appends
its order, so an order accepted with a key is never without its recorded answer.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time

from tasks.api_orders.store import Store

WINDOW_S = 24 * 3600
CONFLICT = "conflict"


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def decided(con: sqlite3.Connection, merchant_id: str, key: str, body_sha: str, now: float):
    """What an earlier request with this key got: (status, answer), CONFLICT (another body) or None."""
    row = con.execute(
        "select body_sha256, status, answer from idempotency where merchant_id = ? and key = ?"
        " and created_at > ?", [merchant_id, key, now - WINDOW_S]).fetchone()
    if row is None:
        return None
    if row[0] != body_sha:
        return CONFLICT
    return row[1], row[2]


def keep(con: sqlite3.Connection, merchant_id: str, key: str, body_sha: str, status: int, answer: str,
         now: float) -> tuple[int, str]:
    """Keep the answer; when another request with the same key got there first, its answer wins
    and is returned (so both callers see the same first answer)."""
    con.execute("delete from idempotency where merchant_id = ? and key = ? and created_at <= ?",
                [merchant_id, key, now - WINDOW_S])
    con.execute("insert or ignore into idempotency values (?, ?, ?, ?, ?, ?)",
                [merchant_id, key, body_sha, status, answer, now])
    row = con.execute("select status, answer from idempotency where merchant_id = ? and key = ?",
                      [merchant_id, key]).fetchone()
    return row[0], row[1]


def recall(store: Store, merchant_id: str, key: str, body: bytes, now: float | None = None):
    return decided(store.con(), merchant_id, key, sha(body), time.time() if now is None else now)


def remember(store: Store, merchant_id: str, key: str, body: bytes, status: int, answer: str,
             now: float | None = None) -> tuple[int, str]:
    with store.tx() as con:
        return keep(con, merchant_id, key, sha(body), status, answer, time.time() if now is None else now)
