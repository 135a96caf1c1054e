"""What merchants owe us (債権): a terminated merchant's final negative net.

A finalizing settlement run raises a receivable for each terminated merchant (current master) whose
latest finalized settlement nets negative and who has nothing more to settle (no confirmed payment
waiting or held, no claw-back pending): the balance is then owed to us instead of being carried
(tasks.settle.assign carries nothing past a settlement with a receivable). The merchant gets a
請求書 (tasks.render.invoice). A received transfer whose remitter name equals the merchant's
name_kana and whose amount equals the open receivable pays it (`match_automatic`, decided by
'rule'); otherwise an operator matches one (`match`). Either way the transfer is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from tasks.clock import naive_jst
from tasks.errors import KonbiniError
from tasks.treasury.conservation import require_conserved
from tasks.treasury.returns import parse_bank_record, received_transfer


@dataclass(frozen=True)
class Receivable:
    receivable_id: str
    merchant_id: str
    settlement_id: str
    amount: int


def raise_receivables(con: duckdb.DuckDBPyConnection, run_id: int, at: datetime) -> int:
    """In the finalizing run's transaction, after its settlements are written: the new receivables."""
    before = con.execute("select count(*) from receivables").fetchone()[0]
    con.execute(
        """
        insert into receivables
        with last as (
            select merchant_id, arg_max(settlement_id, period_end) as settlement_id,
                   arg_max(net, period_end) as net
            from settlement_finalizations group by merchant_id
        )
        select 'RC-' || l.settlement_id, l.merchant_id, l.settlement_id, -l.net, $at, $run
        from last l join current_merchants m using (merchant_id)
        where m.status = 'terminated' and l.net < 0
          and l.settlement_id not in (select settlement_id from receivables)
          and not exists (select 1 from payments p where p.merchant_id = l.merchant_id and p.has_confirmed
                          and not p.refunded
                          and p.payment_id not in (select payment_id from finalized_payments)
                          and (p.settleable or p.holding_code is not null))
          and not exists (select 1 from settlement_adjustments a where a.merchant_id = l.merchant_id
                          and a.adjustment_id not in (select adjustment_id from settlement_lines
                                                      where adjustment_id is not null))
        """,
        {"at": naive_jst(at), "run": run_id},
    )
    return con.execute("select count(*) from receivables").fetchone()[0] - before


def _pay(con, rid: str, transfer_id: str, amount: int, by: str, at: datetime) -> None:
    con.execute("insert into receivable_payments values (?, ?, ?, ?, ?)", [rid, transfer_id, amount, by, at])
    con.execute("insert into bank_transfer_claims values (?, 'receivable', ?, ?, ?)",
                [transfer_id, rid, at, by])


def match_automatic(con: duckdb.DuckDBPyConnection, at: datetime) -> list[tuple[str, str]]:
    """Unclaimed received transfers whose remitter is a merchant's name_kana and whose amount is its
    open receivable pay it (the earliest transfer the earliest receivable). The claim's time is the
    later of the transfer's arrival and the receivable's raising: when both facts were known."""
    rows = con.execute(
        """
        with open_ as (
            select r.receivable_id, r.merchant_id, r.amount, r.raised_at, m.name_kana,
                   row_number() over (partition by r.merchant_id, r.amount order by r.receivable_id) as k
            from receivables r join current_merchants m using (merchant_id)
            where r.receivable_id not in (select receivable_id from receivable_payments)
        ), free as (
            select b.transfer_id, b.amount, b.remitter_name, b.first_ingested_at,
                   row_number() over (partition by b.remitter_name, b.amount
                                      order by b.booking_date, b.inquiry_no) as k
            from bank_transfers_as_of($at) b
            where b.transfer_id not in (select transfer_id from bank_transfer_claims)
        )
        select o.receivable_id, f.transfer_id, o.amount, greatest(o.raised_at, f.first_ingested_at)
        from open_ o join free f
          on trim(f.remitter_name) = trim(o.name_kana) and f.amount = o.amount and f.k = o.k
        order by o.receivable_id
        """,
        {"at": naive_jst(at)},
    ).fetchall()
    for rid, transfer_id, amount, when in rows:
        _pay(con, rid, transfer_id, amount, "rule", when)
    return [(r[0], r[1]) for r in rows]


def match(con: duckdb.DuckDBPyConnection, rid: str, bank_record: str, by: str, at: datetime) -> Receivable:
    """An operator's match of a received transfer to an open receivable (same amount)."""
    row = con.execute(
        "select r.receivable_id, r.merchant_id, r.settlement_id, r.amount, p.transfer_id "
        "from receivables r left join receivable_payments p using (receivable_id) where r.receivable_id = ?",
        [rid],
    ).fetchone()
    if row is None:
        raise KonbiniError(f"receivable {rid!r}: no such receivable (`konbini receivables list`)")
    if row[4] is not None:
        raise KonbiniError(f"receivable {rid}: already paid (bank transfer {row[4]})")
    booking, inquiry = parse_bank_record(bank_record)
    transfer_id, amount, _ = received_transfer(con, booking, inquiry, at)
    if amount != row[3]:
        raise KonbiniError(f"--bank-record {bank_record}: {amount:,} yen, but receivable {rid} is "
                           f"{row[3]:,} yen;"
                           " the amounts must be equal")
    _pay(con, rid, transfer_id, amount, by, naive_jst(at))
    require_conserved(con, f"receivables match {rid}")
    return Receivable(*row[:4])


def listing(con: duckdb.DuckDBPyConnection, state: str | None = None) -> list[dict]:
    rows = con.execute(
        "select receivable_id, merchant_id, settlement_id, amount, raised_at, state, paid_at "
        "from v_receivables "
        "where $s is null or state = $s order by raised_at, receivable_id", {"s": state}).fetchall()
    keys = ("receivable_id", "merchant_id", "settlement_id", "amount", "raised_at", "state", "paid_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]
