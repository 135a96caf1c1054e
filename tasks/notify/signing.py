"""The wire form of a notification: its JSON body and its signature headers (rules.md).

`Konbini-Signature: v1=<hex HMAC-SHA256 of "{timestamp}.{body}" with the merchant's notify_secret>`.
The body is built from the outbox row only (no customer personal data can reach it) and is the same
bytes on every retry; only the timestamp and the signature change between attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

from tasks.clock import jst

SIGNATURE_VERSION = "v1"


def body(event: dict) -> bytes:
    """The JSON body: id, type, merchant_id, order_id, chain, amount, paid_at, store_code."""
    paid_at = event.get("paid_at")
    doc = {
        "id": event["event_id"],
        "type": event["type"],
        "merchant_id": event["merchant_id"],
        "order_id": event["order_id"],
        "chain": event["chain"],
        "amount": int(event["amount"]),
        "paid_at": jst(paid_at).isoformat() if isinstance(paid_at, datetime) else None,
        "store_code": event.get("store_code"),
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def headers(event_id: str, secret: str, timestamp: int, payload: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "konbini-notify/1",
        "Konbini-Event-Id": event_id,
        "Konbini-Timestamp": str(timestamp),
        "Konbini-Signature": signature(secret, timestamp, payload),
    }


def verify(secret: str, timestamp_header: str, signature_header: str, payload: bytes) -> bool:
    """What a merchant checks (docs/webhooks.md): constant-time comparison of the v1 signature."""
    try:
        ts = int(timestamp_header)
    except ValueError:
        return False
    return hmac.compare_digest(signature(secret, ts, payload), signature_header.strip())
