"""Settlement runs on a few payments each: the rules of rules.md one by one."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tasks.clock import JST
from tasks.errors import KonbiniError
from tasks.settle.adjust import record_clawback
from tasks.settle.zengin import read_trailer

from .conftest import settle


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


def figures(result, settlement_id):
    row = result.statements.filter(result.statements["settlement_id"] == settlement_id)
    assert row.height == 1, result.statements
    return row.row(0, named=True)


def test_nothing_before_the_cutoff_then_a_draft_after_it(book, settings):
    book.payment("M000003", "ministop", 45000, "2026-11-04", datetime(2026, 11, 9, 6, 20))
    before = settle(settings, at("2026-11-11T23:59:59"))
    assert before.statements.height == 0 and before.check_ok
    assert before.conservation["waiting"] == 45000
    # the run names the next cut-off of the merchants' cycles (here the one it waits for)
    assert (before.next_cutoff, before.next_payout_date) == (datetime(2026, 11, 11, 23, 59, 59),
                                                             date(2026, 11, 16))
    after = settle(settings, at("2026-11-12T00:00:00"))
    s = figures(after, "M000003-20261101")
    assert (s["payout_date"], s["state"], s["payments_total"]) == (date(2026, 11, 16), "draft", 45000)
    assert after.conservation["in_run"] == 45000
    assert (after.next_cutoff, after.next_payout_date) == (datetime(2026, 11, 17, 23, 59, 59),
                                                           date(2026, 11, 20))
    assert not list((settings.out_dir / "payouts").glob("*")), "a draft writes no payout file"


def test_sample_figures_of_the_three_merchants(book, settings):
    c = datetime(2026, 11, 9, 6, 20)
    book.payment("M000003", "ministop", 45000, "2026-11-04", c)
    book.payment("M000003", "daily", 50000, "2026-11-04", c, stamp=True)
    book.payment("M000003", "seicomart", 8000, "2026-11-05", c)
    book.payment("M000002", "famima", 300000, "2026-11-04", c, stamp=True)
    book.payment("M000001", "seven", 3980, "2026-11-03", c)
    book.payment("M000001", "seven", 54000, "2026-11-03", c, stamp=True)
    book.payment("M000001", "lawson", 54000, "2026-11-03", c)
    book.payment("M000001", "seven", 2000, "2026-11-04", c)
    r1 = settle(settings, at("2026-11-12T07:00"), finalize=True)
    assert r1.finalized == ["M000003-20261101"]
    s = figures(r1, "M000003-20261101")
    assert (s["fees"], s["tax"], s["stamps"], s["net"]) == (13360, 1336, 200, 88104)
    r2 = settle(settings, at("2026-11-26T07:00"), finalize=True)
    assert r2.finalized == ["M000002-20261101"]
    s = figures(r2, "M000002-20261101")
    assert (s["fees"], s["tax"], s["stamps"], s["net"]) == (7500, 750, 200, 291550)
    r3 = settle(settings, at("2026-12-11T07:00"), finalize=True)
    s = figures(r3, "M000001-20261101")
    assert (s["payments_total"], s["fees"], s["tax"], s["stamps"], s["net"]) == (
        113980,
        13510,
        1351,
        200,
        98919,
    )
    files = sorted(p.name for p in (settings.out_dir / "payouts").iterdir())
    assert files == ["ZENGIN_20261116.txt", "ZENGIN_20261130.txt", "ZENGIN_20261215.txt"]
    content = (settings.out_dir / "payouts" / "ZENGIN_20261215.txt").read_bytes()
    assert read_trailer(content) == (1, 98919)
    assert r3.conservation == {
        "settled": 103000 + 300000,
        "in_run": 113980,
        "waiting": 0,
        "carried": 0,
        "held": 0,
        "refunded": 0,
        "confirmed": 516980,
    }


def test_a_draft_rerun_reports_what_changed(book, settings):
    c = datetime(2026, 11, 9, 6, 20)
    book.payment("M000003", "ministop", 45000, "2026-11-04", c)
    first = settle(settings, at("2026-11-12T07:00"))
    assert first.changes["change"].to_list() == ["new"]
    same = settle(settings, at("2026-11-12T08:00"))
    assert same.changes.height == 0
    added = book.payment("M000003", "daily", 50000, "2026-11-04", c, stamp=True)
    third = settle(settings, at("2026-11-12T09:00"))
    ch = {(r["change"], r["item"]): r for r in third.changes.iter_rows(named=True)}
    assert ch[("line_added", "payment")]["payment_id"] == added
    assert (
        ch[("figure", "payments_total")]["before_value"],
        ch[("figure", "payments_total")]["after_value"],
    ) == (45000, 95000)
    assert ch[("figure", "stamps")]["after_value"] == 200
    assert ("line_removed", "tax") in ch and ("line_added", "tax") in ch
    assert figures(third, "M000003-20261101")["lines_added"] == 2
    book.update(added, settleable=False, holding_code="AMOUNT_MISMATCH")
    fourth = settle(settings, at("2026-11-12T10:00"))
    removed = fourth.changes.filter(fourth.changes["change"] == "line_removed")
    assert added in removed["payment_id"].to_list()
    assert fourth.conservation["held"] == 50000
    runs = book.sql("select run_id, mode, check_ok, settlements from settlement_runs order by run_id")
    assert runs == [(i, "draft", True, 1) for i in range(1, 5)]


def test_late_confirmation_goes_to_the_next_settlement_and_pays_its_month_fee_once(book, settings):
    # M000001, monthly (cycle 1): October closes 11-11 23:59:59 (payout 11-15 is a Sunday → 11-16).
    book.payment("M000001", "seven", 10000, "2026-10-05", datetime(2026, 10, 9, 6))
    late = book.payment("M000001", "seven", 20000, "2026-10-28", datetime(2026, 11, 12, 6))
    oct_ = settle(settings, at("2026-11-12T07:00"), finalize=True)
    s = figures(oct_, "M000001-20261001")
    assert s["payments_total"] == 10000 and s["fees"] == 130 + 3000 + 10000
    assert oct_.conservation["carried"] == 20000
    book.payment("M000001", "seven", 5000, "2026-11-20", datetime(2026, 11, 25, 6))
    nov = settle(settings, at("2026-12-11T07:00"), finalize=True)
    s = figures(nov, "M000001-20261101")
    # the late October payment is in November's settlement; October's monthly fee is not charged
    # again; November's is; no initial fee any more
    assert s["payment_count"] == 2 and s["payments_total"] == 25000
    assert s["fees"] == 2 * 130 + 3000
    lines = book.sql(
        "select kind, payment_id, fee_month from settlement_lines "
        "where settlement_id = 'M000001-20261101' order by line_no"
    )
    assert ("payment", late, None) in lines
    # shown as carried over from its own period
    assert book.sql("select carried_from from v_settlement_lines where payment_id = ?", [late]) == [
        (date(2026, 10, 1),)]
    assert [x for x in lines if x[0] == "monthly_fee"] == [("monthly_fee", None, date(2026, 11, 1))]


def test_a_late_payment_alone_charges_its_own_month_fee(book, settings):
    # nothing else settled in October: the late October payment brings October's fee with it
    book.payment("M000001", "seven", 20000, "2026-10-28", datetime(2026, 11, 12, 6))
    book.payment("M000001", "seven", 5000, "2026-11-20", datetime(2026, 11, 25, 6))
    assert settle(settings, at("2026-11-12T07:00"), finalize=True).statements.height == 0
    nov = settle(settings, at("2026-12-11T07:00"), finalize=True)
    s = figures(nov, "M000001-20261101")
    assert s["fees"] == 2 * 130 + 2 * 3000 + 10000


def test_a_month_without_payments_has_no_monthly_fee(book, settings):
    # M000003, 6x a month: two settlements in November pay one monthly fee; December has none;
    # January's pays January's fee
    book.payment("M000003", "daily", 10000, "2026-11-02", datetime(2026, 11, 6, 6))
    book.payment("M000003", "daily", 10000, "2026-11-08", datetime(2026, 11, 12, 6))
    book.payment("M000003", "daily", 10000, "2027-01-04", datetime(2027, 1, 6, 6))
    r = settle(settings, at("2027-01-20T07:00"), finalize=True)
    got = {row["settlement_id"]: row["fees"] for row in r.statements.iter_rows(named=True)}
    assert got == {
        "M000003-20261101": 120 + 3000 + 10000,
        "M000003-20261106": 120,
        "M000003-20270101": 120 + 3000,
    }


def test_negative_net_is_carried_forward(book, settings):
    # a 1,000 yen first payment cannot cover the initial and monthly fees
    book.payment("M000003", "daily", 1000, "2026-11-02", datetime(2026, 11, 6, 6))
    r1 = settle(settings, at("2026-11-12T07:00"), finalize=True)
    s1 = figures(r1, "M000003-20261101")
    fees = 120 + 3000 + 10000
    assert s1["net"] == 1000 - fees - fees // 10 == -13432
    assert read_trailer((settings.out_dir / "payouts" / "ZENGIN_20261116.txt").read_bytes()) == (0, 0)
    # next period: no payment, the balance alone makes a settlement that carries it on
    r2 = settle(settings, at("2026-11-18T07:00"), finalize=True)
    s2 = figures(r2, "M000003-20261106")
    assert (s2["payment_count"], s2["carried_in"], s2["net"]) == (0, -13432, -13432)
    book.payment("M000003", "daily", 50000, "2026-11-12", datetime(2026, 11, 16, 6))
    r3 = settle(settings, at("2026-11-21T07:00"), finalize=True)
    s3 = figures(r3, "M000003-20261111")
    assert (s3["carried_in"], s3["fees"], s3["net"]) == (-13432, 120, 50000 - 120 - 12 - 13432)
    assert read_trailer((settings.out_dir / "payouts" / "ZENGIN_20261125.txt").read_bytes()) == (1, 36436)


def test_a_finalized_settlement_is_never_changed_by_a_rerun(book, settings):
    c = datetime(2026, 11, 9, 6, 20)
    p1 = book.payment("M000003", "ministop", 45000, "2026-11-04", c)
    settle(settings, at("2026-11-12T07:00"), finalize=True)
    frozen = book.sql("select * from settlement_finalizations")
    frozen_lines = book.sql("select * from settlement_lines order by all")
    payout = (settings.out_dir / "payouts" / "ZENGIN_20261116.txt").read_bytes()
    # later facts: the payment gets held, another one arrives late for the same period, the master
    # changes fee plan; reruns (draft and final) of the same and later times
    book.update(p1, settleable=False, holding_code="CONFIRM_AFTER_CANCEL")
    p2 = book.payment("M000003", "daily", 50000, "2026-11-04", datetime(2026, 11, 13, 6))
    book.master(plans=[("P1", 0, 0, 0, 0, 0, 0, 0, 0, 100), ("P2", 0, 0, 0, 0, 0, 0, 0, 0, 250)])
    for when, fin in (("2026-11-12T07:00", True), ("2026-11-13T07:00", False), ("2026-11-18T07:00", True)):
        settle(settings, at(when), finalize=fin)
    assert (
        book.sql("select * from settlement_finalizations where settlement_id = 'M000003-20261101'") == frozen
    )
    assert book.sql(
        "select * from settlement_lines where settlement_id = 'M000003-20261101' order by all"
    ) == (frozen_lines)
    assert (settings.out_dir / "payouts" / "ZENGIN_20261116.txt").read_bytes() == payout
    # the late one went to the next period, under the plan in force when it was computed
    assert book.sql(
        "select settlement_id, payout_date from finalized_payments where payment_id = ?", [p2]
    ) == [("M000003-20261106", date(2026, 11, 20))]
    assert book.sql("select fees from settlement_finalizations where settlement_id = 'M000003-20261106'") == [
        (500,)
    ]


def test_settlements_with_the_same_payout_date_stay_separate_with_one_transfer(book, settings):
    # 6x a month: 2030-12-16..20 pays 12-31 → 2031-01-06; 12-21..25 pays 01-05 (Sunday) → 01-06
    book.payment("M000003", "daily", 30000, "2030-12-17", datetime(2030, 12, 20, 6))
    book.payment("M000003", "daily", 40000, "2030-12-22", datetime(2030, 12, 26, 6))
    r = settle(settings, at("2030-12-31T07:00"), finalize=True)
    assert r.finalized == ["M000003-20301216", "M000003-20301221"]
    assert set(r.statements["payout_date"].to_list()) == {date(2031, 1, 6)}
    nets = sum(r.statements["net"].to_list())
    content = (settings.out_dir / "payouts" / "ZENGIN_20310106.txt").read_bytes()
    assert read_trailer(content) == (1, nets)
    assert book.sql("select count(*), sum(amount) from payout_transfers") == [(1, nets)]


def test_held_refunded_and_unaccounted_payments(book, settings):
    c = datetime(2026, 11, 9, 6, 20)
    book.payment("M000003", "daily", 1000, "2026-11-04", c, held="DUPLICATE_PAYMENT")
    book.payment("M000003", "daily", 2000, "2026-11-04", c, refunded=True)
    book.payment("M000003", "daily", 4000, "2026-11-04", c)
    ok = settle(settings, at("2026-11-12T07:00"))
    assert ok.check_ok
    assert (ok.conservation["held"], ok.conservation["refunded"], ok.conservation["in_run"]) == (
        1000,
        2000,
        4000,
    )
    lost = book.payment("M000003", "daily", 8000, "2026-11-04", c, settleable=False)  # in no place
    bad = settle(settings, at("2026-11-12T08:00"), finalize=True)
    assert not bad.check_ok and bad.finalized == []
    assert any(lost in f and "8000 yen" in f for f in bad.failures), bad.failures
    assert book.sql("select count(*) from settlement_finalizations") == [(0,)]
    assert not (settings.out_dir / "payouts").exists() or not list((settings.out_dir / "payouts").iterdir())
    assert book.sql(
        "select check_ok, check_report like '%neither settled%' from settlement_runs where run_id = 2"
    ) == [(False, True)]


def test_an_account_the_payout_file_cannot_hold_fails_the_run(book, settings):
    # bank 9900 never gets into the master (0001 checks it; the writer refuses it too, test_zengin);
    # a bank code unknown to the Zengin data set cannot be written either
    book.master(merchants={"M000003": (6, "P1", "0002", "019", "1", "1234567", "ｶﾞｸ)ﾐﾎﾝ")})
    book.payment("M000003", "daily", 40000, "2026-11-04", datetime(2026, 11, 9, 6))
    r = settle(settings, at("2026-11-12T07:00"), finalize=True)
    assert not r.check_ok and r.finalized == []
    assert any("M000003: bank code 0002 is not in the Zengin" in f for f in r.failures), r.failures


def test_payout_date_option_and_period_order(book, settings):
    book.payment("M000003", "daily", 40000, "2026-11-04", datetime(2026, 11, 9, 6))
    book.payment("M000003", "daily", 30000, "2026-11-08", datetime(2026, 11, 12, 6))
    with pytest.raises(KonbiniError, match="period order"):
        settle(settings, at("2026-11-18T07:00"), payout_date=date(2026, 11, 20), finalize=True)
    with pytest.raises(KonbiniError, match="no open settlement period pays on that date"):
        settle(settings, at("2026-11-18T07:00"), payout_date=date(2026, 11, 19))
    r = settle(settings, at("2026-11-18T07:00"), payout_date=date(2026, 11, 16), finalize=True)
    assert r.finalized == ["M000003-20261101"]
    assert r.statements.filter(r.statements["state"] == "draft")["settlement_id"].to_list() == [
        "M000003-20261106"
    ]
    # a preview of a payout date whose cut-off has not passed is a draft and cannot be finalized
    book.payment("M000003", "daily", 20000, "2026-11-12", datetime(2026, 11, 16, 6))
    p = settle(settings, at("2026-11-18T07:00"), payout_date=date(2026, 11, 25), finalize=True)
    assert p.finalized == []
    assert figures(p, "M000003-20261111")["state"] == "draft"


def test_clawback_is_a_negative_adjustment_in_the_next_settlement(book, settings, warehouse):
    pid = book.payment("M000003", "daily", 40000, "2026-11-04", datetime(2026, 11, 9, 6))
    settle(settings, at("2026-11-12T07:00"), finalize=True)
    with warehouse.write() as con:
        adj = record_clawback(con, pid, at("2026-11-13T10:00"), "ops", "03 after settlement")
        with pytest.raises(KonbiniError, match="already been clawed back"):
            record_clawback(con, pid, at("2026-11-13T10:00"), "ops", "again")
    with warehouse.write() as con, pytest.raises(KonbiniError, match="in no finalized settlement"):
        record_clawback(con, "nope", at("2026-11-13T10:00"), "ops", "x")
    book.payment("M000003", "daily", 10000, "2026-11-07", datetime(2026, 11, 12, 6))
    r = settle(settings, at("2026-11-18T07:00"), finalize=True)
    s = figures(r, "M000003-20261106")
    assert s["adjustments"] == -40000 and s["net"] == 10000 - 120 - 12 - 40000
    assert book.sql("select kind, amount from settlement_lines where adjustment_id = ?", [adj]) == [
        ("adjustment", -40000)
    ]
    r2 = settle(settings, at("2026-11-21T07:00"), finalize=True)
    assert figures(r2, "M000003-20261111")["carried_in"] == s["net"]


def test_finalizing_needs_payments_reconciled_after_the_cutoff(book, settings):
    pid = book.payment("M000003", "daily", 40000, "2026-11-04", datetime(2026, 11, 9, 6))
    book.update(pid, as_of=datetime(2026, 11, 11, 23, 0))
    stale = settle(settings, at("2026-11-12T07:00"), finalize=True)
    assert not stale.check_ok and stale.finalized == []
    assert any("last reconciled as of 2026-11-11 23:00:00" in f for f in stale.failures), stale.failures
    # a later incremental reconciliation that changed no row makes the table current as well
    with book.warehouse.write() as con:
        con.execute("insert into reconcile_runs (run_id, as_of, scope, orders, payments, exceptions, "
                    "open_exceptions, status_counts, max_file_id) "
                    "values (1, timestamp '2026-11-12 06:50', 'incremental', 0, 0, 0, 0, '{}', 0)")
    assert settle(settings, at("2026-11-12T07:00"), finalize=True).finalized == ["M000003-20261101"]
