"""速報通知 on the web: a merchant's deliveries, a replay of one event (the same fact as
`konbini notifications replay`), and a test notification sent at once and recorded nowhere but
the audit log (it is no event: the outbox holds only the four event types of rules.md)."""

from __future__ import annotations

import secrets
from datetime import datetime

import duckdb

from tasks.notify import signing
from tasks.notify.delivery import Delivery, deliver_due
from tasks.notify.outbox import list_events, replay
from tasks.notify.sender import Attempt, send
from tasks.notify.targets import redact, refusal
from tasks.settings import Settings
from tasks.warehouse import Warehouse

TEST_TYPE = "test"


def deliveries(con: duckdb.DuckDBPyConnection, merchant_id: str, limit: int = 200) -> list[dict]:
    return list_events(con, merchant_id, None, limit)


def replay_one(warehouse: Warehouse, settings: Settings, merchant_id: str, event_id: str, by: str,
               at: datetime) -> dict | None:
    """Make the merchant's event pending again and send it now; None when the merchant has no
    such event (another merchant's gives None too)."""
    with warehouse.write() as con:
        mine = con.execute("select 1 from notification_outbox where event_id = ? and merchant_id = ?",
                           [event_id, merchant_id]).fetchone()
        if mine is None:
            return None
        replay(con, at, by, event_id=event_id)
    summary = deliver_due(warehouse, at, settings.notify_allow_loopback, event_ids=[event_id])
    warehouse.publish()
    return summary


def send_test(warehouse: Warehouse, settings: Settings, merchant_id: str, at: datetime,
              timeout_s: float = 10.0) -> tuple[str, Attempt]:
    """POST a signed test notification to the merchant's notify_url; returns (url without
    credentials, what happened)."""
    with warehouse.read() as con:  # the secret never leaves the warehouse for a published copy
        row = con.execute("select notify_url, notify_secret from current_merchants where merchant_id = ?",
                          [merchant_id]).fetchone()
    url, secret = row if row else (None, None)
    event_id = f"test-{secrets.token_hex(8)}"
    event = {"event_id": event_id, "type": TEST_TYPE, "merchant_id": merchant_id, "order_id": "",
             "chain": "", "amount": 0, "paid_at": None, "store_code": None}
    why = "no notify_url in the master data" if not url else refusal(url, settings.notify_allow_loopback)
    d = Delivery(event_id, merchant_id, "", 1, None, 0, url, secret or "", signing.body(event), why)
    attempts = [a for batch in send([[d]], at, timeout_s=timeout_s,
                                    allow_loopback=settings.notify_allow_loopback) for _, a in batch]
    return redact(url), attempts[0] if attempts else Attempt(None, 0, "not sent")


