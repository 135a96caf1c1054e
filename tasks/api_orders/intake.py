"""Orders registered over the API (portal.md): judged by the order-file rule set, then appended to
the intake with their references, in one store transaction per batch of requests.

    register(store, ledger, merchant_id, bodies, now) -> list[Registered]
    judge_batch(ledger, merchant_id, bodies) -> Judged      # the same, in two stages (pipeline.py)
    append(con, cur, store, judged, stamp) -> list[Registered]
    find(store, merchant_id, order_id) -> dict | None
    by_token(store, token) -> dict | None
    ORDER_FIELDS                       # the JSON fields: the ORDERS columns but payment_reference

An order without a chain has no reference and is not in the ledger yet: the customer chooses the
chain on the payment page (tasks/api_orders/choose.py), which issues the reference, once.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import polars as pl

from schemas.orders import ORDER_COLUMNS, REFERENCE_DIGITS, quick_failures
from tasks.api_orders.ledger import Ledger, orders_in, references_taken
from tasks.api_orders.order_keys import CONFLICT, claim_for_api
from tasks.api_orders.references import issue
from tasks.api_orders.store import Store
from tasks.orders import judge

ORDER_FIELDS = tuple(c for c in ORDER_COLUMNS if c != "payment_reference")
# compared to tell a repeated order (same content: the first answer) from a conflict
_CONTENT = tuple(c for c in ORDER_FIELDS if c != "merchant_id")
INT_FIELDS = ("amount", "tax_amount")


@dataclass
class Registered:
    """One body's outcome: the order (new or identical to the registered one) or every reason."""

    order: dict | None = None
    created: bool = False
    reasons: list[dict] = field(default_factory=list)  # {"field", "reason"}, in the file's words


def _text(value) -> str:
    """A JSON value as the CSV field it stands for (the form checks then judge it the same)."""
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _raw_rows(merchant_id: str, bodies: list[dict]) -> tuple[pl.DataFrame, list[list[dict]]]:
    rows, early = [], []
    for body in bodies:
        row = {c: _text(body.get(c)) for c in ORDER_FIELDS}
        pre = [{"field": k, "reason": "is issued by us: leave it out" if k == "payment_reference"
                else "not a field of an order"} for k in body if k not in ORDER_FIELDS]
        if row["merchant_id"] == "":
            row["merchant_id"] = merchant_id
        elif row["merchant_id"] != merchant_id:
            pre.append({"field": "merchant_id", "reason": "must be the merchant of the API key"})
        # a chain-less order is judged as if for any chain; its chain rules wait for the choice
        row["payment_reference"] = "0" * REFERENCE_DIGITS.get(row["chain"], 1)
        rows.append(row)
        early.append(pre)
    raw = pl.DataFrame(rows, schema={c: pl.String for c in ORDER_COLUMNS})
    return raw.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64)), early


def judge_bodies(ledger: Ledger, merchant_id: str, bodies: list[dict],
                 cur: duckdb.DuckDBPyConnection | None = None) -> list[list[dict]]:
    """Every reason per body, in the words of the order-file rejection report."""
    raw, reasons = _raw_rows(merchant_id, bodies)
    if cur is None:
        with ledger.reading() as cur:
            _, found = judge(cur, raw, quick_failures, ledger.master_answers)
    else:
        _, found = judge(cur, raw, quick_failures, ledger.master_answers)
    chainless = {i for i, b in enumerate(bodies) if b.get("chain") in (None, "")}
    pos = {c: i for i, c in enumerate(ORDER_COLUMNS)}
    found = found.sort([pl.col("row"), pl.col("field").replace_strict(pos, default=99), "reason"])
    for row, fld, reason in found.iter_rows():
        if row in chainless and fld in ("chain", "payment_reference"):
            continue
        reasons[row].append({"field": fld, "reason": reason})
    return reasons


def _typed(body: dict, merchant_id: str) -> dict:
    row = {c: _text(body.get(c)) for c in ORDER_FIELDS}
    row["merchant_id"] = merchant_id
    row["chain"] = row["chain"] or None
    for c in INT_FIELDS:
        row[c] = int(row[c])
    return row


@dataclass
class Judged:
    """A batch of one merchant's bodies judged against the ledger, not appended yet: `out` holds
    the reasons, `good` the typed rows that passed (by index), `in_ledger` their ids the ledger has."""

    merchant_id: str
    out: list[Registered]
    good: list[tuple[int, dict]]
    in_ledger: set[str]

    def skip(self, i: int) -> None:
        """Leave body `i` out of the append (its answer is decided otherwise)."""
        self.good = [(j, row) for j, row in self.good if j != i]


def judge_batch(ledger: Ledger, merchant_id: str, bodies: list[dict]) -> Judged:
    """The first stage: every rule, read-only (the published ledger), no store write."""
    with ledger.reading() as cur:
        reasons = judge_bodies(ledger, merchant_id, bodies, cur)
        good = [(i, _typed(b, merchant_id)) for i, b in enumerate(bodies) if not reasons[i]]
        in_ledger = orders_in(cur, merchant_id, [r["order_id"] for _, r in good]) if good else set()
    return Judged(merchant_id, [Registered(reasons=r) for r in reasons], good, in_ledger)


def append(con, cur: duckdb.DuckDBPyConnection, store: Store, judged: Judged, stamp: str) -> list[Registered]:
    """The second stage, inside the caller's store transaction `con` (of this thread): a repeated
    order gets the registered one, a new one its key's claim (order_keys.py), its reference and a
    row of the intake."""
    out = judged.out
    firsts: dict[str, dict] = {}  # order id -> its first new row in this batch
    new, repeats = [], []
    for i, row in judged.good:
        if row["order_id"] in firsts:  # sent twice at once: judged against the first, once appended
            repeats.append((i, row))
        elif not _known(store, out[i], row, judged.in_ledger):
            continue
        elif claim_for_api(con, judged.merchant_id, row["order_id"], stamp):
            firsts[row["order_id"]] = row
            new.append((i, row))
        else:  # an ORDERS file merged since the last publish holds the key
            out[i].reasons = [_conflict(row)]
    wanted = [(row["chain"], judged.merchant_id, row["order_id"]) for _, row in new if row["chain"]]
    refs = iter(issue(con, wanted, stamp, lambda pairs: references_taken(cur, pairs)))
    for i, row in new:
        row["payment_reference"] = next(refs) if row["chain"] else None
        row.update(token=secrets.token_urlsafe(24), registered_at=stamp,
                   chosen_at=stamp if row["chain"] else None)
        cols = list(row)
        con.execute(f"insert into intake ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
                    [row[c] for c in cols])
        out[i].order, out[i].created = _public(row), True
    for i, row in repeats:
        _known(store, out[i], row, judged.in_ledger, firsts[row["order_id"]])
    return out


def register(
    store: Store, ledger: Ledger, merchant_id: str, bodies: list[dict], now: datetime
) -> list[Registered]:
    """Judge and append a batch of order bodies of one merchant (one store transaction); the
    API's pipeline (tasks/api_orders/pipeline.py) runs the two stages in threads of their own."""
    judged = judge_batch(ledger, merchant_id, bodies)
    with ledger.reading() as cur, store.tx() as con:
        return append(con, cur, store, judged, now.isoformat(timespec="seconds"))


def _known(store: Store, result: Registered, row: dict, in_ledger: set[str],
           known: dict | None = None) -> bool:
    """False when the order is already registered (in the store, or `known`): the same content
    gives the registered order, other content the file's conflict reason. True for a new order."""
    known = known if known is not None else find(store, row["merchant_id"], row["order_id"])
    if known is not None and all(known[c] == row[c] or (c == "chain" and row[c] is None) for c in _CONTENT):
        result.order = _public(known)
        return False
    if known is not None or row["order_id"] in in_ledger:
        result.reasons = [_conflict(row)]
        return False
    return True


def _conflict(row: dict) -> dict:
    return {"field": "order_id", "reason": CONFLICT.format(row["merchant_id"], row["order_id"])}


def _public(row) -> dict:
    """What the merchant's server gets back (no personal data: it never needs it echoed)."""
    keep = ("merchant_id", "site_id", "order_id", "chain", "payment_reference", "amount", "tax_mode",
            "tax_amount", "ordered_at", "due_date", "token")
    return {k: row[k] if k in row.keys() else None for k in keep}


def find(store: Store, merchant_id: str, order_id: str) -> dict | None:
    row = store.con().execute("select * from intake where merchant_id = ? and order_id = ?",
                              [merchant_id, order_id]).fetchone()
    return dict(row) if row else None


def by_token(store: Store, token: str) -> dict | None:
    row = store.con().execute("select * from intake where token = ?", [token]).fetchone()
    return dict(row) if row else None
