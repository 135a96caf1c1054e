"""`Idempotency-Key` (portal.md): the same key and body within 24 hours gets the first answer; the
same key with another body is a conflict (409). Keys are per merchant.

    recall(store, merchant_id, key, body, now) -> (status, answer) | CONFLICT | None
    remember(store, merchant_id, key, body, status, answer, now)
"""

from __future__ import annotations

import hashlib
import time

from tasks.api_orders.store import Store

WINDOW_S = 24 * 3600
CONFLICT = "conflict"


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def recall(store: Store, merchant_id: str, key: str, body: bytes, now: float | None = None):
    now = time.time() if now is None else now
    row = store.con().execute(
        "select body_sha256, status, answer from idempotency where merchant_id = ? and key = ?"
        " and created_at > ?", [merchant_id, key, now - WINDOW_S]).fetchone()
    if row is None:
        return None
    if row["body_sha256"] != _sha(body):
        return CONFLICT
    return row["status"], row["answer"]


def remember(store: Store, merchant_id: str, key: str, body: bytes, status: int, answer: str,
             now: float | None = None) -> tuple[int, str]:
    """Keep the answer; when a concurrent request with the same key got there first, its answer
    wins and is returned (so both callers see the same first answer)."""
    now = time.time() if now is None else now
    with store.tx() as con:
        con.execute("delete from idempotency where merchant_id = ? and key = ? and created_at <= ?",
                    [merchant_id, key, now - WINDOW_S])
        con.execute("insert or ignore into idempotency values (?, ?, ?, ?, ?, ?)",
                    [merchant_id, key, _sha(body), status, answer, now])
        row = con.execute("select status, answer from idempotency where merchant_id = ? and key = ?",
                          [merchant_id, key]).fetchone()
    return row["status"], row["answer"]
