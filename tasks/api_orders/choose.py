"""The payment page's side of an order (決済選択画面, portal.md): what it shows, the chains the
customer may choose, and the choice, which issues the reference once.

    page(store, ledger, token, today) -> Page | None       # None: no such token (404)
    choose(store, ledger, token, chain, now) -> Page | None
    barcode(page, company_code) -> str | None              # the 44 digits (CVS-feed chains only)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from schemas.orders import CHAINS
from tasks.api_orders.cancel import cancelled_before_choice
from tasks.api_orders.intake import judge_bodies
from tasks.api_orders.ledger import Ledger, references_taken
from tasks.api_orders.references import issue
from tasks.api_orders.store import Store
from tasks.errors import KonbiniError
from tasks.feeds.gs1 import build_barcode
from tasks.inbox_kinds import BY_KIND
from tasks.reconcile.stamp import stamp_expected


class ChainRefused(KonbiniError):
    """The chain cannot be chosen for this order (not enabled, or a rule of the order fails)."""


@dataclass
class Page:
    merchant_name: str
    amount: int
    tax_mode: str
    tax_amount: int
    due_date: date
    chain: str | None
    reference: str | None
    choices: list[str]  # chains the customer may still choose (empty once chosen)
    state: str  # open, paid, past_due, cancelled


def _row(store: Store, token: str) -> dict | None:
    row = store.con().execute("select * from intake where token = ?", [token]).fetchone()
    return dict(row) if row else None


def allowed_chains(ledger: Ledger, row: dict) -> list[str]:
    """The site's enabled chains for which the order passes every rule (famima: due 1 day later)."""
    site = ledger.site_page(row["site_id"])
    enabled = [c for c in CHAINS if site and c in site[1]]
    bodies = [{**{k: row[k] for k in ("site_id", "order_id", "tax_mode", "ordered_at", "due_date",
                                       "customer_name_kana", "customer_phone", "customer_email")},
               "amount": row["amount"], "tax_amount": row["tax_amount"], "chain": c} for c in enabled]
    if not bodies:
        return []
    reasons = judge_bodies(ledger, row["merchant_id"], bodies)
    return [c for c, r in zip(enabled, reasons, strict=True) if not r]


def page(store: Store, ledger: Ledger, token: str, today: date) -> Page | None:
    row = _row(store, token)
    if row is None:
        return None
    site = ledger.site_page(row["site_id"])
    due = date.fromisoformat(row["due_date"])
    status = ledger.status(row["merchant_id"], row["order_id"]) if row["chain"] else None
    if status in ("paid", "confirmed", "settled"):
        state = "paid"
    elif status == "cancelled" or cancelled_before_choice(store, row["merchant_id"], row["order_id"]):
        state = "cancelled"
    elif today > due or status == "expired":
        state = "past_due"
    else:
        state = "open"
    choices = allowed_chains(ledger, row) if row["chain"] is None and state == "open" else []
    return Page(site[0] if site else "", row["amount"], row["tax_mode"], row["tax_amount"], due,
                row["chain"], row["payment_reference"], choices, state)


def choose(store: Store, ledger: Ledger, token: str, chain: str, now: datetime) -> Page | None:
    """Fix the chain of a chain-less order and issue its reference (once; a second choice of the
    same chain changes nothing, another chain is refused)."""
    row = _row(store, token)
    if row is None:
        return None
    current = page(store, ledger, token, now.date())
    if row["chain"] is None:
        if current.state != "open" or chain not in current.choices:
            raise ChainRefused(f"chain {chain} cannot be chosen for this order")
        stamp = now.isoformat(timespec="seconds")
        with store.tx() as con:
            fresh = con.execute("select chain from intake where token = ?", [token]).fetchone()
            if cancelled_before_choice(store, row["merchant_id"], row["order_id"]):
                raise ChainRefused("the order was cancelled")
            if fresh["chain"] is None:  # not chosen by a concurrent request meanwhile
                with ledger.reading() as cur:
                    [ref] = issue(con, [(chain, row["merchant_id"], row["order_id"])], stamp,
                                  lambda pairs: references_taken(cur, pairs))
                con.execute("update intake set chain = ?, payment_reference = ?, chosen_at = ?"
                            " where token = ?", [chain, ref, stamp, token])
    elif row["chain"] != chain:
        raise ChainRefused(f"the chain of this order is already {row['chain']}")
    return page(store, ledger, token, now.date())


def barcode(p: Page, company_code: str) -> str | None:
    """The GS1-128 payment barcode (feeds.md) of a chosen order of a CVS-feed chain."""
    if p.chain not in BY_KIND["CVS"].chains or p.reference is None:
        return None
    stamp = stamp_expected(p.chain, p.tax_mode, p.amount, p.tax_amount)
    return build_barcode(company_code, p.reference, p.due_date, stamp, p.amount)
