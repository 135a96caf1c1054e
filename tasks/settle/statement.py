"""Statement arithmetic (入金明細): what follows a merchant's settlements in period order.

Per-payment fees and stamp charges are summed in SQL (one row per statement arrives here). What
depends on the settlements before it is decided here, one merchant at a time, over those few rows:
- monthly fee: once per calendar month, in the first settlement including a payment paid in that
  month (months already covered by a finalized settlement's monthly_fee line, 0 yen included, are
  never charged again);
- initial fee: in the merchant's first settlement that includes a payment;
- consumption tax: 10% of the statement's fees, rounded down once per statement;
- carried balance: a negative net is carried into the merchant's next settlement, which exists
  for that alone when it has no payment.
Net = payments − fees − tax − stamps + adjustments + carried in.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import duckdb
import polars as pl

from tasks.settle.calendar import Period

TAX_PERCENT = 10

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


def consumption_tax(fees: int) -> int:
    return fees * TAX_PERCENT // 100


def settlement_id(merchant_id: str, period_start: date) -> str:
    return f"{merchant_id}-{period_start:%Y%m%d}"


def build(
    con: duckdb.DuckDBPyConnection, at: datetime, payout_date: date | None, periods: dict[int, list[Period]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(statements, extra lines) of the run from the temp tables _s_due, _s_adj, _s_merchants."""
    agg = {
        (m, s): (n, total, fees, stamps)
        for m, s, n, total, fees, stamps in con.execute(
            "select merchant_id, period_start, count(*), sum(amount), sum(fee), sum(stamp) "
            "from _s_due group by all"
        ).fetchall()
    }
    months: dict[tuple[str, date], list[date]] = defaultdict(list)
    for m, s, month in con.execute(
        "select distinct merchant_id, period_start, date_trunc('month', paid_date)::date from _s_due "
        "order by all"
    ).fetchall():
        months[(m, s)].append(month)
    charged: dict[str, set[date]] = defaultdict(set)
    for m, month in con.execute(
        """
        select distinct f.merchant_id, l.fee_month
        from settlement_lines l join settlement_finalizations f using (settlement_id)
        where l.kind = 'monthly_fee' and f.merchant_id in (select merchant_id from _s_due)
        """
    ).fetchall():
        charged[m].add(month)
    adjustments: dict[tuple[str, date], list[tuple[str, str | None, int]]] = defaultdict(list)
    for m, s, adj_id, pay_id, amount in con.execute(
        """
        select a.merchant_id, a.period_start, a.adjustment_id, a.payment_id, a.amount
        from _s_adj a join _s_merchants m using (merchant_id)
        join _s_periods per on per.cycle = m.cycle and per.period_start = a.period_start
        where per.cutoff < $at or per.payout_date = $pd
        order by all
        """,
        {"at": at, "pd": payout_date},
    ).fetchall():
        adjustments[(m, s)].append((adj_id, pay_id, amount))
    merchants = con.execute(
        """
        select m.merchant_id, m.cycle, m.initial_fee, m.monthly_fee, m.last_final_net, m.had_payment,
               f.floor_start
        from _s_merchants m join _s_floor f using (merchant_id)
        where m.merchant_id in (select merchant_id from _s_due)
           or m.merchant_id in (select merchant_id from _s_adj)
           or m.last_final_net < 0
        order by m.merchant_id
        """
    ).fetchall()
    due = {
        c: [p for p in ps if p.cutoff < at or p.payout_date == payout_date] for c, ps in periods.items()
    }
    content = defaultdict(set)
    for m, s in list(agg) + list(adjustments):
        content[m].add(s)

    stmts: list[tuple] = []
    lines: list[tuple] = []
    for merchant_id, cycle, initial_fee, monthly_fee, last_net, had_payment, floor in merchants:
        carry = min(last_net, 0)
        for p in due[cycle]:
            if p.start < floor or (p.start not in content[merchant_id] and carry == 0):
                continue
            sid = settlement_id(merchant_id, p.start)
            n, total, pay_fees, stamps = agg.get((merchant_id, p.start), (0, 0, 0, 0))
            extra: list[tuple[str, str | None, int, date | None, str | None]] = []
            fees = pay_fees
            for month in months[(merchant_id, p.start)]:
                if month not in charged[merchant_id]:
                    charged[merchant_id].add(month)
                    # the line records the month as covered even when the plan charges 0 for it
                    extra.append(("monthly_fee", None, monthly_fee, month, None))
                    fees += monthly_fee
            if n and not had_payment:
                had_payment = True
                if initial_fee:
                    extra.append(("initial_fee", None, initial_fee, None, None))
                    fees += initial_fee
            tax = consumption_tax(fees)
            if tax:
                extra.append(("tax", None, tax, None, None))
            adj_total = 0
            for adj_id, pay_id, amount in adjustments.get((merchant_id, p.start), []):
                extra.append(("adjustment", pay_id, amount, None, adj_id))
                adj_total += amount
            if carry:
                extra.append(("carried_in", None, carry, None, None))
            net = total - fees - tax - stamps + adj_total + carry
            stmts.append((sid, merchant_id, cycle, p.start, p.end, p.cutoff, p.payout_date, n, total,
                          fees, tax, stamps, adj_total, carry, net))
            lines.extend((sid, i, *e) for i, e in enumerate(extra, start=1))
            carry = min(net, 0)
    return (
        pl.DataFrame(stmts, schema=STATEMENT_SCHEMA, orient="row"),
        pl.DataFrame(lines, schema=LINE_SCHEMA, orient="row"),
    )
