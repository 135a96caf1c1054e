"""Conservation beyond settlement (treasury.md): every confirmed yen in exactly one place.

tasks.settle.checks places each confirmed payment (settled, in this run, waiting, carried, held,
refunded). This check carries on where that one stops:
- refunded yen are either paid to the customer (a refund instruction) or still owed to one;
- the merchants' share of the finalized settlements, Σ (payments − fees − tax − stamps +
  adjustments), is, per merchant, exactly: paid to the merchant (payout transfers + repayments −
  returned), returned and waiting, a negative balance carried to its next settlement, owed to us
  (open receivable) or paid back to us (receivable paid);
- each fact is in one place only: a bank transfer claimed once, a return paid again at most once and
  for its amount, a receivable equal to its settlement's negative net and paid for its amount.

Every settlement run calls it before finalizing (a failure finalizes nothing) and every treasury
command after its write (a failure rolls the command back).
"""

from __future__ import annotations

import duckdb

from tasks.errors import KonbiniError

SHOW = 10

# Per merchant: its share of the finalized settlements and the places it is in.
PLACES_SQL = """
with fin as (
    select merchant_id, sum(net - carried_in) as share,
           arg_max(settlement_id, period_end) as last_sid, arg_max(net, period_end) as last_net
    from settlement_finalizations group by merchant_id
), regular as (select merchant_id, sum(amount) as paid from payout_transfers group by merchant_id
), repaid as (select merchant_id, sum(amount) as repaid from payout_repayments group by merchant_id
), returned as (
    select merchant_id, sum(amount) as returned,
           sum(amount) filter (where return_id not in (select return_id from payout_repayments)) as waiting
    from returned_payouts group by merchant_id
), owed as (
    select r.merchant_id,
           sum(r.amount) filter (where p.receivable_id is null) as open_,
           sum(r.amount) filter (where p.receivable_id is not null) as paid_back
    from receivables r left join receivable_payments p using (receivable_id) group by r.merchant_id
)
select f.merchant_id, f.share,
       coalesce(g.paid, 0) + coalesce(rp.repaid, 0) - coalesce(rt.returned, 0) as paid,
       coalesce(rt.waiting, 0) as returned_waiting,
       case when f.last_sid in (select settlement_id from receivables) then 0
            else least(f.last_net, 0) end as carried_debt,
       -coalesce(o.open_, 0) as owed_to_us,
       -coalesce(o.paid_back, 0) as paid_back
from fin f
left join regular g using (merchant_id) left join repaid rp using (merchant_id)
left join returned rt using (merchant_id) left join owed o using (merchant_id)
"""
MONEY = ("share", "paid", "returned_waiting", "carried_debt", "owed_to_us", "paid_back")

# Facts that must each be in one place; every query names what is wrong.
ONE_PLACE = {
    "bank transfer claimed more than once": """
        select transfer_id from bank_transfer_claims group by transfer_id having count(*) > 1""",
    "returned payout whose amount differs from its bank record": """
        select r.return_id from returned_payouts r
        where r.amount <> (select any_value(b.amount) from bank_records b
                           where b.transfer_id = r.transfer_id)""",
    "returned payout without its claim": """
        select return_id from returned_payouts where return_id not in
            (select claim_id from bank_transfer_claims where claimed_by = 'returned_payout')""",
    "repayment of no returned payout, or of another amount": """
        select p.return_id from payout_repayments p left join returned_payouts r using (return_id)
        where r.return_id is null or r.amount <> p.amount""",
    "receivable that is not its settlement's negative net": """
        select r.receivable_id from receivables r left join settlement_finalizations f using (settlement_id)
        where f.settlement_id is null or r.amount <> -f.net or r.amount <= 0""",
    "receivable paid with another amount, or without its claim": """
        select p.receivable_id from receivable_payments p join receivables r using (receivable_id)
        where p.amount <> r.amount or p.receivable_id not in
            (select claim_id from bank_transfer_claims where claimed_by = 'receivable')""",
    "refund paid twice, or for a payment not refunded, or with another amount": """
        select f.exception_id from refund_payments f left join payments p using (payment_id)
        where p.payment_id is null or not p.refunded or f.amount <> p.amount
           or f.payment_id in (select payment_id from refund_payments
                               group by payment_id having count(*) > 1)""",
}


def refunds(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Confirmed refunded yen: paid to the customer (instructed) or still owed to one."""
    paid, owed = con.execute(
        """
        select coalesce(sum(amount) filter (where instructed), 0),
               coalesce(sum(amount) filter (where not instructed), 0)
        from (select amount, payment_id in (select payment_id from refund_payments) as instructed
              from payments where has_confirmed and refunded)
        """
    ).fetchone()
    return {"refunds_paid": int(paid), "owed_to_customers": int(owed)}


def check(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], list[str]]:
    """(figures, failures): the places of the settled money and of refunds, and what is wrong."""
    rows = con.execute(f"select * from ({PLACES_SQL}) order by merchant_id").fetchall()
    figures = {k: sum(int(r[i + 1]) for r in rows) for i, k in enumerate(MONEY)}
    figures.update(refunds(con))
    failures = []
    off = [r for r in rows if r[1] != sum(r[2:])]
    for r in off[:SHOW]:
        places = ", ".join(f"{k} {v}" for k, v in zip(MONEY[1:], r[2:], strict=True))
        failures.append(f"conservation: merchant {r[0]}: share of its settlements {r[1]} yen, places add to "
                        f"{sum(r[2:])} ({places})")
    for what, sql in ONE_PLACE.items():
        ids = [x for (x,) in con.execute(f"select * from ({sql}) order by 1 limit {SHOW}").fetchall()]
        if ids:
            failures.append(f"conservation: {what}: {', '.join(map(str, ids))}")
    return figures, failures


def require_conserved(con: duckdb.DuckDBPyConnection, what: str) -> dict[str, int]:
    """The check after a treasury command's write: KonbiniError (the caller's transaction is rolled
    back) when a yen is not in exactly one place."""
    figures, failures = check(con)
    if failures:
        raise KonbiniError(f"{what}: refused, the money would not be conserved: {'; '.join(failures)}")
    return figures
