"""Payment references issued by us (portal.md): digits of the length feeds.md gives per chain, drawn
with `secrets` (never sequential, never guessable from another order's), unique per chain for ever.

    issue(con, [(chain, merchant_id, order_id)], issued_at, taken) -> [reference]   # in a store tx
    claim_references(settings, new, reasons) -> (new, reasons)   # for ORDERS rows, in their handler
                                                # (their order keys first: order_keys.py)

`issued_references` in the API's store is the one authority: a reference enters it once, by our
issue or by an ORDERS row being registered, and never leaves (so never reused, even after expiry).
An ORDERS row whose reference is held by another order is rejected with the file's own words.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable

import polars as pl

from schemas.orders import REFERENCE_DIGITS

REUSED = "already used by another order of chain {chain} (references are never reused)"


def draw(chain: str) -> str:
    n = REFERENCE_DIGITS[chain]
    return f"{secrets.randbelow(10**n):0{n}d}"


def issue(con: sqlite3.Connection, wanted: list[tuple[str, str, str]], issued_at: str,
          taken: Callable[[list[tuple[str, str]]], set] = lambda pairs: set()) -> list[str]:
    """New references for orders `(chain, merchant_id, order_id)`, recorded in `issued_references`
    (the caller's store transaction). `taken(pairs)` rules out references of the ledger that
    predate the store (one query for the whole batch)."""
    refs: list[str | None] = [None] * len(wanted)
    todo = list(range(len(wanted)))
    while todo:  # a collision is ~n/10^11 likely: the loop almost never turns twice
        drawn = {i: draw(wanted[i][0]) for i in todo}
        in_ledger = taken([(wanted[i][0], r) for i, r in drawn.items()])
        todo = []
        for i, ref in drawn.items():
            chain, merchant_id, order_id = wanted[i]
            try:
                if (chain, ref) in in_ledger:
                    raise sqlite3.IntegrityError
                con.execute("insert into issued_references values (?, ?, ?, ?, ?)",
                            [chain, ref, merchant_id, order_id, issued_at])
                refs[i] = ref
            except sqlite3.IntegrityError:
                todo.append(i)
    return refs  # type: ignore[return-value]


def claim_references(settings, new: pl.DataFrame, reasons: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ORDERS file's last check, in one store transaction: claim the order keys of the rows
    about to be registered (tasks/api_orders/order_keys.py), then the references of the rows still
    standing. A row whose key the API holds with other content gets the conflict reason; a row whose
    reference is held by another order the reuse reason (and its key is given back); either is
    taken out of `new`. Run inside the file's DuckDB transaction: if that rolls back, the claims
    stay, owned by the same orders and the file door, so the rerun claims them again (a reference
    claim is only ever compared by owner)."""
    from tasks.api_orders.order_keys import claim_for_file, release_for_file
    from tasks.api_orders.store import open_store

    if new.height == 0:
        return new, reasons
    with open_store(settings).tx() as con:
        lost = claim_for_file(con, new)
        standing = new.filter(~pl.col("row").is_in([r for r, _, _ in lost]))
        reused = _claim(con, standing)
        release_for_file(con, standing.filter(pl.col("row").is_in([r for r, _, _ in reused])))
    if not lost and not reused:
        return new, reasons
    extra = pl.DataFrame(lost + reused, schema=reasons.schema, orient="row")
    return new.filter(~pl.col("row").is_in(extra["row"].implode())), pl.concat([reasons, extra])


def _claim(con: sqlite3.Connection, rows: pl.DataFrame) -> list[tuple[int, str, str]]:
    """Record the rows' references; (row, field, reason) of each row whose reference another order holds."""
    rows = rows.select("chain", "payment_reference", "merchant_id", "order_id", "row").rows()
    before = con.total_changes
    con.executemany(
        "insert or ignore into issued_references values (?, ?, ?, ?, datetime('now'))",
        [r[:4] for r in rows])
    if con.total_changes - before == len(rows):  # every reference was new: nobody else holds one
        return []
    con.execute("create temp table if not exists claim (chain, reference, merchant_id, order_id, row)")
    con.execute("delete from claim")
    con.executemany("insert into claim values (?, ?, ?, ?, ?)", rows)
    lost = con.execute(
        "select c.row, c.chain from claim c join issued_references i using (chain, reference)"
        " where i.merchant_id <> c.merchant_id or i.order_id <> c.order_id").fetchall()
    return [(r, "payment_reference", REUSED.format(chain=c)) for r, c in lost]
