"""The charge rules and the due rule, each written once, on their own (no warehouse)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl

from tasks.settle.assign import Scope
from tasks.settle.calendar import period_of
from tasks.settle.charges import consumption_tax, payment_fee_sql, stamp_charge_sql


def test_tax_is_rounded_down_once_for_ints_and_frames_alike():
    assert [consumption_tax(f) for f in (0, 9, 10, 13360, 13369)] == [0, 0, 1, 1336, 1336]
    df = pl.DataFrame({"fees": [0, 9, 10, 13360, 13369]}).select(consumption_tax(pl.col("fees")))
    assert df["fees"].to_list() == [0, 0, 1, 1336, 1336]


def test_payment_fee_and_stamp_charge_in_sql():
    con = duckdb.connect()
    con.execute("create table plan as select 130 as fee_seven, 120 as fee_lawson, 125 as fee_famima, "
                "120 as fee_ministop, 120 as fee_daily, 120 as fee_seicomart, 250 as rate_bp")
    rows = con.execute(
        f"select {payment_fee_sql('p.chain', 'p.amount', 'plan')}, {stamp_charge_sql('p.stamp')} "
        "from (values ('seven', 54000, true), ('famima', 3980, false), ('seicomart', 39, false)) "
        "p(chain, amount, stamp), plan order by p.amount"
    ).fetchall()
    # fixed fee of the chain + ⌊amount × 250 / 10,000⌋; 200 yen for a stamped receipt
    assert rows == [(120 + 0, 0), (125 + 99, 0), (130 + 1350, 200)]


def test_a_period_is_due_after_its_cutoff_or_when_its_payout_date_is_previewed():
    p = period_of(6, date(2026, 11, 4))  # 11-01..05, payout 11-16, cut-off 11-11 23:59:59
    before, after = datetime(2026, 11, 11, 23, 59, 59), datetime(2026, 11, 12)
    assert not Scope(before).is_due(p) and Scope(after).is_due(p)
    assert Scope(before, date(2026, 11, 16)).is_due(p)  # a preview: due, yet not closed
    assert not Scope(before, date(2026, 11, 16)).closes(p)
    assert Scope(after).closes(p) and not Scope(after, date(2026, 11, 20)).closes(p)
