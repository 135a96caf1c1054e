"""Conservation extended: over simulated weeks with random payments, refunds (owed and paid),
returned payouts, account changes and a termination, every settlement run's checks hold, every
treasury command's check holds, and the places add up; a yen out of place fails the run and
finalizes nothing."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.clock import JST
from tasks.settings import Settings
from tasks.treasury.conservation import check
from tasks.treasury.refunds import CustomerAccount, pay
from tasks.treasury.returns import record_return
from tasks.warehouse import Warehouse
from tests.settle.conftest import MERCHANTS, Book, settle
from tests.treasury.conftest import Bank, at
from tests.treasury.test_refunds import refund_owed

START = date(2026, 11, 2)
DAYS = 36
SETTLE_EVERY = 3  # days between finalizing runs
WHO = ("M000002", "M000003")
CUSTOMER = CustomerAccount("0005", "001", "1", "2345678", "ﾔﾏﾀﾞ")


def _day():
    return st.fixed_dictionaries({
        "payments": st.lists(st.tuples(st.sampled_from(WHO), st.integers(300, 60_000)), max_size=3),
        "refund": st.sampled_from([None, "owed", "paid"]),
        "return": st.booleans(),
        "new_account": st.sampled_from([None, *WHO]),
    })


def _when(d: date, hour: int) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=JST)


def _return_one(wh, bank, d: date) -> None:
    """The latest payout transfer (or repayment) not returned yet comes back today."""
    with wh.read() as con:
        row = con.execute(
            """select payout_date, merchant_id, amount from (
                   select payout_date, merchant_id, amount, 'payout' as kind from payout_transfers
                   union all select payout_date, merchant_id, amount, 'repayment' from payout_repayments)
               where payout_date < ? and (payout_date, merchant_id, amount) not in
                   (select (payout_date, merchant_id, amount) from returned_payouts)
               order by payout_date desc, merchant_id limit 1""", [d]).fetchone()
    if row is None:
        return
    record = bank.receive(d, row[2], "ｶ)ﾓﾄﾞﾘ")
    with wh.write() as con:
        record_return(con, payout_date=row[0], merchant_id=row[1], reason="口座なし", bank_record=record,
                      by="ops", at=_when(d, 9))


def _simulate(days: list[dict], terminate: tuple[str, int]) -> dict[str, int]:
    """Run the days; (merchant, day) is terminated then. Returns how many of each treasury fact."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Settings(data_dir=Path(tmp))
        wh = Warehouse(cfg.warehouse_path)
        book, bank = Book(wh), Bank(wh)
        merchants = {**MERCHANTS, "M000002": (6, *MERCHANTS["M000002"][1:])}  # 6 payouts a month
        book.master(merchants)
        order = 0
        for i, plan in enumerate(days):
            d = START + timedelta(days=i)
            for merchant, amount in plan["payments"]:
                order += 1
                confirmed = datetime(d.year, d.month, d.day, 6) + timedelta(days=2)
                book.payment(merchant, "daily", amount, d, confirmed, order_id=f"o{order}")
            if plan["refund"]:
                order += 1
                ex = refund_owed(book, 1000 + order, merchant="M000003", paid=d, order_id=f"o{order}")
                if plan["refund"] == "paid":
                    with wh.write() as con:
                        pay(con, ex, CUSTOMER, cfg, "ops", _when(d, 8))
            if plan["return"]:
                _return_one(wh, bank, d)
            if plan["new_account"]:
                m = plan["new_account"]
                merchants[m] = (*merchants[m][:5], f"{int(merchants[m][5]) + 1:07d}", merchants[m][6])
                book.master(merchants, loaded_at=datetime(2026, 11, 1) + timedelta(days=i))
            if i >= terminate[1]:  # (again after a master load: Book loads merchants active)
                with wh.write() as con:
                    con.execute("update merchants set status = 'terminated' where merchant_id = ?",
                                [terminate[0]])
            if i % SETTLE_EVERY == SETTLE_EVERY - 1:
                r = settle(cfg, _when(d, 7), finalize=True)
                assert r.check_ok, r.failures
                assert r.treasury["refunds_paid"] + r.treasury["owed_to_customers"] == (
                    r.conservation["refunded"])
                _after_writes(wh)
        with wh.read() as con:
            return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                    for t in ("returned_payouts", "payout_repayments", "refund_payments", "receivables")}


def _after_writes(wh) -> None:
    """What the run wrote also holds: the settled money's places add up to the merchants' share."""
    with wh.read() as con:
        figures, failures = check(con)
    assert not failures, failures
    assert figures["share"] == sum(figures[k] for k in
                                   ("paid", "returned_waiting", "carried_debt", "owed_to_us", "paid_back"))


@pytest.mark.slow
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(days=st.lists(_day(), min_size=DAYS, max_size=DAYS),
       terminate=st.tuples(st.sampled_from(WHO), st.integers(0, DAYS + 10)))
def test_conservation_holds_at_every_run(days, terminate):
    _simulate(days, terminate)


@pytest.mark.slow
def test_a_busy_month_has_every_treasury_fact_and_conserves():
    """The property test's generator can reach every fact: one plan that does (not left to chance)."""
    quiet = {"payments": [], "refund": None, "return": False, "new_account": None}
    days = [dict(quiet, payments=[("M000002", 20_000 + i)] + [("M000003", 300)] * (i < 2),
                 refund=("paid", "owed")[i % 2], **{"return": i % 4 == 3},
                 new_account="M000002" if i % 6 == 5 else None)
            for i in range(DAYS)]
    counts = _simulate(days, ("M000003", 2))
    assert all(counts.values()), counts


def test_a_yen_out_of_place_fails_the_run_and_finalizes_nothing(book, bank, settings, warehouse):
    """A repayment recorded without its return (a yen paid twice): the next run refuses to finalize."""
    book.payment("M000003", "daily", 40000, "2026-11-04", datetime(2026, 11, 9, 6))
    first = settle(settings, at("2026-11-12T07:00"), finalize=True)
    assert first.check_ok
    with warehouse.write() as con:
        con.execute("insert into payout_repayments values ('RP-M000003-20261116-1', 'M000003', '2026-11-16',"
                    " 1, 5000, '0005', '001', '1', '7777777')")
    book.payment("M000003", "daily", 30000, "2026-11-08", datetime(2026, 11, 13, 6))
    r = settle(settings, at("2026-11-18T07:00"), finalize=True)
    assert not r.check_ok and r.finalized == []
    assert any("repayment of no returned payout" in f for f in r.failures), r.failures
    assert any("merchant M000003: share of its settlements" in f for f in r.failures), r.failures
    assert book.sql("select count(*) from settlement_finalizations") == [(1,)]
