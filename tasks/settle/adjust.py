"""Claw-backs (返金調整): an operator takes back the money of a payment already settled.

A finalized settlement never changes; the claw-back is a fact of its own that becomes a negative
adjustment line in the merchant's next settlement (the first open period whose cut-off is at or
after the decision). One claw-back per payment.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb

from tasks.clock import naive_jst
from tasks.errors import KonbiniError


def adjustment_id(payment_id: str) -> str:
    return "ADJ" + hashlib.md5(f"clawback|{payment_id}".encode()).hexdigest()[:12]


def record_clawback(
    con: duckdb.DuckDBPyConnection, payment_id: str, as_of: datetime, by: str, note: str
) -> str:
    """Record the claw-back of a settled payment (inside the caller's transaction); its id."""
    if not note.strip():
        raise KonbiniError(f"clawback of payment {payment_id}: a note saying why is required")
    rows = con.execute(
        """
        select f.merchant_id, l.amount, l.settlement_id
        from settlement_lines l join settlement_finalizations f using (settlement_id)
        where l.payment_id = ? and l.kind = 'payment'
        """,
        [payment_id],
    ).fetchall()
    if not rows:
        raise KonbiniError(
            f"clawback: payment {payment_id} is in no finalized settlement; a payment not yet settled is "
            "held or refunded through its exception instead"
        )
    merchant_id, amount, _ = rows[0]
    adj = adjustment_id(payment_id)
    if con.execute("select count(*) from settlement_adjustments where adjustment_id = ?", [adj]).fetchall()[
        0
    ][0]:
        raise KonbiniError(f"clawback: payment {payment_id} has already been clawed back ({adj})")
    con.execute(
        "insert into settlement_adjustments values (?, ?, ?, ?, ?, ?, ?)",
        [adj, merchant_id, payment_id, -amount, note, by, naive_jst(as_of)],
    )
    return adj
