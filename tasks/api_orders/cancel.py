"""A merchant's cancellation over the API (portal.md: "the same rule as a cancellation file").

    request_cancel(store, ledger, merchant_id, order_id, now) -> "cancelled" | "cancel_requested" | None

An order in the ledger (or on its way there: exported or chosen) is cancelled the way an
ORDER_CANCELS row is: the request is kept and exported as an API_CANCELS file, and the pull decides it
once (rejected when the order is already cancelled or has a 01 or 02 ingested), so GET shows
`cancelled` once merged and reconciled. An order whose customer has not chosen a chain yet is not in
the ledger: it is cancelled at once, and its payment page offers no chain any more.
None: no such order of this merchant.
"""

from __future__ import annotations

from datetime import datetime

from tasks.api_orders.intake import find
from tasks.api_orders.ledger import Ledger
from tasks.api_orders.store import Store

BEFORE_CHOICE = -1  # cancels.batch of an order cancelled before its chain was chosen: never exported


def request_cancel(
    store: Store, ledger: Ledger, merchant_id: str, order_id: str, now: datetime
) -> str | None:
    if find(store, merchant_id, order_id) is None and not ledger.order_exists(merchant_id, [order_id]):
        return None  # (nothing published yet: NotPublished, the API's 503)
    stamp = now.isoformat(timespec="seconds")
    with store.tx() as con:
        row = con.execute("select chain from intake where merchant_id = ? and order_id = ?",
                          [merchant_id, order_id]).fetchone()
        unchosen = row is not None and row["chain"] is None
        con.execute("insert or ignore into cancels values (?, ?, ?, ?)",
                    [merchant_id, order_id, stamp, BEFORE_CHOICE if unchosen else None])
        kept = con.execute("select batch from cancels where merchant_id = ? and order_id = ?",
                           [merchant_id, order_id]).fetchone()
    return "cancelled" if kept["batch"] == BEFORE_CHOICE else "cancel_requested"


def cancelled_before_choice(store: Store, merchant_id: str, order_id: str) -> bool:
    row = store.con().execute("select 1 from cancels where merchant_id = ? and order_id = ? and batch = ?",
                              [merchant_id, order_id, BEFORE_CHOICE]).fetchone()
    return row is not None
