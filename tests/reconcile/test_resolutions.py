"""Operators' resolutions: what they do to payments, what is refused and why, and that they survive."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.errors import KonbiniError
from tasks.reconcile.resolutions import list_exceptions, resolve, show_exception
from tasks.reconcile.run import reconcile

from .conftest import jst, load_sample_facts, statuses

AT = jst(2026, 11, 20, 9)


def ex_id(con, code, order_or_ref):
    (eid,) = con.execute(
        "select exception_id from exceptions where code = ? and coalesce(order_id, reference) = ?",
        [code, order_or_ref]).fetchone()
    return eid


def payment_of(con, eid):
    return con.execute(
        "select role, released, refunded, settleable, holding_code from payments where payment_id = "
        "(select payment_id from exceptions where exception_id = ?)", [eid]).fetchone()


@pytest.fixture
def sample(con, facts):
    load_sample_facts(facts)
    # the 20:40 duplicate gets its 02 too, so a release can make it settle
    f = facts.file("SEJ_02", 2, jst(2026, 11, 10, 6))
    facts.event(f, "seven", "02", "1000000000005", jst(2026, 11, 4, 20, 40), "3456789", 2000)
    reconcile(con, jst(2026, 11, 20))
    return con


def test_release_of_a_duplicate_settles_it_as_an_extra_payment(sample):
    con = sample
    eid = ex_id(con, "DUPLICATE_PAYMENT", "A-1005")
    assert payment_of(con, eid) == ("extra", False, False, False, "DUPLICATE_PAYMENT")
    r = resolve(con, eid, "release", "customer paid twice; merchant refunds them", "alice", AT)
    assert (r.action, r.resolved_by) == ("release", "alice")
    assert payment_of(con, eid) == ("extra", True, False, True, None)
    row = con.execute("select state, resolution from exceptions where exception_id = ?", [eid]).fetchone()
    assert row == ("resolved", "release")
    reconcile(con, jst(2026, 11, 21))  # survives every rerun
    assert payment_of(con, eid) == ("extra", True, False, True, None)


def test_release_of_a_late_payment_makes_it_the_orders_payment(sample, facts):
    con = sample
    facts.order("M000001", "A-1007", "lawson", "20000000077", 700, date(2026, 11, 3), jst(2026, 11, 2))
    f = facts.file("CVS", 3, jst(2026, 11, 20, 6))
    facts.event(f, "lawson", "02", "20000000077", jst(2026, 11, 5, 9), "1", 700)
    reconcile(con, jst(2026, 11, 20, 7))
    eid = ex_id(con, "PAID_AFTER_DUE", "A-1007")
    assert statuses(con)[("M000001", "A-1007")] == "expired"
    resolve(con, eid, "release", "merchant accepts late payment", "bob", AT)
    assert payment_of(con, eid) == ("order_payment", True, False, True, None)
    assert statuses(con)[("M000001", "A-1007")] == "confirmed"


def test_refund_never_settles(sample):
    con = sample
    eid = ex_id(con, "PAID_AFTER_DUE", "A-1006")
    resolve(con, eid, "refund", "customer to be refunded", "carol", AT)
    role, released, refunded, settleable, holding = payment_of(con, eid)
    assert (released, refunded, settleable, holding) == (False, True, False, None)
    assert statuses(con)[("M000001", "A-1006")] == "expired"


def test_refusals_name_the_reason(sample):
    con = sample
    dup = ex_id(con, "DUPLICATE_PAYMENT", "A-1005")
    with pytest.raises(KonbiniError, match="holds the payment out of settlement"):
        resolve(con, dup, "dismiss", "n", "x", AT)
    with pytest.raises(KonbiniError, match="no such exception"):
        resolve(con, "EX000000000000", "refund", "n", "x", AT)
    with pytest.raises(KonbiniError, match="no merchant to settle to"):
        resolve(con, ex_id(con, "UNKNOWN_REFERENCE", "29999999999"), "release", "n", "x", AT)
    with pytest.raises(KonbiniError, match="only dismiss applies"):
        resolve(con, ex_id(con, "CONFIRM_WITHOUT_PRELIM", "C-3003"), "refund", "n", "x", AT)
    with pytest.raises(KonbiniError, match="a note is required"):
        resolve(con, dup, "refund", "  ", "x", AT)
    with pytest.raises(KonbiniError, match="must be one of"):
        resolve(con, dup, "approve", "n", "x", AT)
    resolve(con, dup, "refund", "n", "x", AT)
    with pytest.raises(KonbiniError, match="already resolved"):
        resolve(con, dup, "release", "again", "y", AT)


def test_dismiss_a_non_holding_exception_and_refuse_a_cleared_one(con, facts):
    load_sample_facts(facts)
    reconcile(con, jst(2026, 11, 20))
    pnc = ex_id(con, "PRELIM_NOT_CONFIRMED", "A-1006")
    resolve(con, pnc, "dismiss", "chain confirmed by phone", "ops", AT)
    assert len(list_exceptions(con, state="resolved", code="PRELIM_NOT_CONFIRMED")) == 1
    # a 02 for the unknown reference arrives later: its PRELIM_NOT_CONFIRMED clears by itself
    f = facts.file("CVS", 3, jst(2026, 11, 21, 6))
    facts.event(f, "lawson", "02", "29999999999", jst(2026, 11, 4, 16), "103", 1500)
    reconcile(con, jst(2026, 11, 21, 7))
    cleared = ex_id(con, "PRELIM_NOT_CONFIRMED", "29999999999")
    with pytest.raises(KonbiniError, match="cleared by itself"):
        resolve(con, cleared, "dismiss", "n", "x", jst(2026, 11, 21, 8))
    info = show_exception(con, pnc)
    assert info["state"] == "resolved" and info["resolved_by"] == "ops"
    assert info["allowed_actions"] == "dismiss" and info["payment.role"] == "extra"
    assert "customer" not in " ".join(map(str, info))


def test_list_filters(sample):
    con = sample
    codes = {r["code"] for r in list_exceptions(con, state="open")}
    assert codes >= {"DUPLICATE_PAYMENT", "UNKNOWN_REFERENCE"}
    assert [r["order_id"] for r in list_exceptions(con, merchant="M000003")] == ["C-3003"]
    with pytest.raises(KonbiniError, match="unknown exception code"):
        list_exceptions(con, code="NOPE")
