"""Statement arithmetic (入金明細): what follows a merchant's settlements in period order.

Per-payment fees and stamp charges are summed in SQL (one row per statement arrives here). What
depends on the settlements before it is decided here, one merchant at a time, over those few rows,
with the rules of tasks.settle.charges:
- monthly fee: once per calendar month, in the first settlement including a payment paid in that
  month (months already covered by a finalized settlement's monthly_fee line, 0 yen included, are
  never charged again);
- initial fee: in the merchant's first settlement that includes a payment;
- consumption tax on the statement's fees;
- carried balance: a negative net is carried into the merchant's next settlement, which exists
  for that alone when it has no payment.
Net = payments − fees − tax − stamps + adjustments + carried in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from tasks.settle.calendar import Period
from tasks.settle.charges import consumption_tax, initial_fee_due, months_to_charge
from tasks.settle.tables import RunTables

FIGURES = ("payment_count", "payments_total", "fees", "tax", "stamps", "adjustments", "carried_in", "net")
STATEMENT_SCHEMA = {
    "settlement_id": pl.String, "merchant_id": pl.String, "cycle": pl.Int32,
    "period_start": pl.Date, "period_end": pl.Date, "cutoff": pl.Datetime("us"),
    "payout_date": pl.Date, "payment_count": pl.Int64, "payments_total": pl.Int64,
    "fees": pl.Int64, "tax": pl.Int64, "stamps": pl.Int64, "adjustments": pl.Int64,
    "carried_in": pl.Int64, "net": pl.Int64,
}
LINE_SCHEMA = {
    "settlement_id": pl.String, "seq": pl.Int32, "kind": pl.String, "payment_id": pl.String,
    "amount": pl.Int64, "fee_month": pl.Date, "adjustment_id": pl.String,
}
Key = tuple[str, date]  # (merchant_id, period start)


def settlement_id(merchant_id: str, period_start: date) -> str:
    """A settlement is identified by merchant and period start, e.g. M000003-20261101."""
    return f"{merchant_id}-{period_start:%Y%m%d}"


@dataclass
class _Inputs:
    """What the run's tables say, per (merchant, period start) of a due statement."""

    sums: dict[Key, tuple[int, int, int, int]] = field(default_factory=dict)  # count, total, fees, stamps
    months: dict[Key, list[date]] = field(default_factory=lambda: defaultdict(list))
    charged: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))  # months covered
    adjustments: dict[Key, list[tuple[str, str | None, int]]] = field(
        default_factory=lambda: defaultdict(list))  # (adjustment id, payment id, amount)
    content: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))  # periods with any


def build(
    con: duckdb.DuckDBPyConnection, t: RunTables, due: dict[int, list[Period]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(statements, extra lines) of the due periods of every cycle, from the run's tables."""
    inputs = _read(con, t)
    merchants = con.execute(
        f"""
        select m.merchant_id, m.cycle, m.initial_fee, m.monthly_fee, m.last_final_net, m.had_payment,
               f.floor_start
        from {t.merchants} m join {t.floor} f using (merchant_id)
        where m.merchant_id in (select merchant_id from {t.due})
           or m.merchant_id in (select merchant_id from {t.adjustments})
           or m.last_final_net < 0
        order by m.merchant_id
        """
    ).fetchall()
    stmts: list[tuple] = []
    lines: list[tuple] = []
    for merchant in merchants:
        _merchant_statements(merchant, due[merchant[1]], inputs, stmts, lines)
    return (
        pl.DataFrame(stmts, schema=STATEMENT_SCHEMA, orient="row"),
        pl.DataFrame(lines, schema=LINE_SCHEMA, orient="row"),
    )


def _read(con: duckdb.DuckDBPyConnection, t: RunTables) -> _Inputs:
    i = _Inputs()
    for m, s, n, total, fees, stamps in con.execute(
        f"select merchant_id, period_start, count(*), sum(amount), sum(fee), sum(stamp) from {t.due} "
        "group by all"
    ).fetchall():
        i.sums[(m, s)] = (n, total, fees, stamps)
    for m, s, month in con.execute(
        f"select distinct merchant_id, period_start, date_trunc('month', paid_date)::date from {t.due} "
        "order by all"
    ).fetchall():
        i.months[(m, s)].append(month)
    for m, month in con.execute(
        f"""
        select distinct f.merchant_id, l.fee_month
        from settlement_lines l join settlement_finalizations f using (settlement_id)
        where l.kind = 'monthly_fee' and f.merchant_id in (select merchant_id from {t.due})
        """
    ).fetchall():
        i.charged[m].add(month)
    for m, s, adj_id, pay_id, amount in con.execute(
        f"select merchant_id, period_start, adjustment_id, payment_id, amount from {t.adjustments} "
        "where due order by all"
    ).fetchall():
        i.adjustments[(m, s)].append((adj_id, pay_id, amount))
    for m, s in list(i.sums) + list(i.adjustments):
        i.content[m].add(s)
    return i


def _merchant_statements(merchant: tuple, due: list[Period], i: _Inputs, stmts: list, lines: list) -> None:
    """A merchant's statements of the due periods, in period order, each carrying the negative net
    of the one before."""
    merchant_id, cycle, initial_fee, monthly_fee, last_net, had_payment, floor = merchant
    carry = min(last_net, 0)
    for p in due:
        if p.start < floor or (p.start not in i.content[merchant_id] and carry == 0):
            continue
        sid = settlement_id(merchant_id, p.start)
        n, total, pay_fees, stamps = i.sums.get((merchant_id, p.start), (0, 0, 0, 0))
        extra: list[tuple[str, str | None, int, date | None, str | None]] = []
        fees = pay_fees
        for month in months_to_charge(i.months[(merchant_id, p.start)], i.charged[merchant_id]):
            # the line records the month as covered even when the plan charges 0 for it
            extra.append(("monthly_fee", None, monthly_fee, month, None))
            fees += monthly_fee
        if initial_fee_due(n, had_payment):
            had_payment = True
            if initial_fee:
                extra.append(("initial_fee", None, initial_fee, None, None))
                fees += initial_fee
        tax = consumption_tax(fees)
        if tax:
            extra.append(("tax", None, tax, None, None))
        adj_total = 0
        for adj_id, pay_id, amount in i.adjustments.get((merchant_id, p.start), []):
            extra.append(("adjustment", pay_id, amount, None, adj_id))
            adj_total += amount
        if carry:
            extra.append(("carried_in", None, carry, None, None))
        net = total - fees - tax - stamps + adj_total + carry
        stmts.append((sid, merchant_id, cycle, p.start, p.end, p.cutoff, p.payout_date, n, total,
                       fees, tax, stamps, adj_total, carry, net))
        lines.extend((sid, k, *e) for k, e in enumerate(extra, start=1))
        carry = min(net, 0)
