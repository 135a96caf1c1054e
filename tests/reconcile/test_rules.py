"""Each exception rule on a small scenario, arrival order, settled payments, scoped = full."""

from __future__ import annotations

from datetime import date

from tasks.reconcile.rules import CODES, exception_id
from tasks.reconcile.run import reconcile

from .conftest import jst, load_sample_facts, open_exceptions, statuses

DUE = date(2026, 11, 9)
T0 = jst(2026, 11, 2, 10, 0)


def exc(con, code=None):
    sql = "select code, state, raised_at, cleared_at, detail from exceptions"
    rows = con.execute(sql + (" where code = ?" if code else "") + " order by code", [code] if code else []
                       ).fetchall()
    return rows


def pay(con, column, paid_time=None):
    sql = f"select {column} from payments" + (" where paid_time = ?" if paid_time else "")
    return [r[0] for r in con.execute(sql, [paid_time] if paid_time else []).fetchall()]


def test_rule_table_has_all_fourteen_codes():  # rules.md's eleven and treasury.md's three
    assert len(CODES) == 14 and len(set(CODES)) == 14


def test_confirm_before_prelim_is_raised_then_cleared_when_the_01_arrives(con, facts):
    facts.order("M1", "O1", "seven", "1000000000001", 1000, DUE, T0)
    f2 = facts.file("SEJ_02", 1, jst(2026, 11, 9, 6))
    facts.event(f2, "seven", "02", "1000000000001", jst(2026, 11, 4, 9), "1", 1000)
    reconcile(con, jst(2026, 11, 9, 7))
    raised = jst(2026, 11, 9, 6).replace(tzinfo=None)
    assert exc(con) == [("CONFIRM_WITHOUT_PRELIM", "open", raised, None, None)]
    assert statuses(con) == {("M1", "O1"): "confirmed"}  # a 02 on time confirms without its 01
    f1 = facts.file("SEJ_01", 1, jst(2026, 11, 9, 8))
    facts.event(f1, "seven", "01", "1000000000001", jst(2026, 11, 4, 9), "1", 1000)
    reconcile(con, jst(2026, 11, 9, 9))
    assert [(c, s, cl) for c, s, _, cl, _ in exc(con)] == [
        ("CONFIRM_WITHOUT_PRELIM", "cleared", jst(2026, 11, 9, 8).replace(tzinfo=None))]
    assert pay(con, "settleable") == [True]


def test_cancel_before_prelim_voids_and_clears(con, facts):
    facts.order("M1", "O1", "famima", "300000000001", 1000, DUE, T0)
    f = facts.file("FM_S", 1, jst(2026, 11, 4, 10))
    facts.event(f, "famima", "03", "300000000001", jst(2026, 11, 4, 9), "1", 1000)
    reconcile(con, jst(2026, 11, 4, 11))
    assert [c for c, *_ in exc(con)] == ["CANCEL_WITHOUT_PRELIM"]
    assert statuses(con) == {("M1", "O1"): "awaiting_payment"}
    f = facts.file("FM_S", 2, jst(2026, 11, 4, 12))
    facts.event(f, "famima", "01", "300000000001", jst(2026, 11, 4, 9), "1", 1000)
    reconcile(con, jst(2026, 11, 10))
    assert [(c, s) for c, s, *_ in exc(con)] == [("CANCEL_WITHOUT_PRELIM", "cleared")]
    assert statuses(con) == {("M1", "O1"): "expired"}
    assert pay(con, "role") == ["voided"]


def test_confirm_after_cancel_holds(con, facts):
    facts.order("M1", "O1", "seven", "1000000000001", 1000, DUE, T0)
    f1 = facts.file("SEJ_01", 1, jst(2026, 11, 4, 10))
    facts.event(f1, "seven", "01", "1000000000001", jst(2026, 11, 4, 9), "1", 1000)
    facts.event(f1, "seven", "03", "1000000000001", jst(2026, 11, 4, 9), "1", 1000)
    f2 = facts.file("SEJ_02", 1, jst(2026, 11, 9, 6))
    facts.event(f2, "seven", "02", "1000000000001", jst(2026, 11, 4, 9), "1", 1000)
    reconcile(con, jst(2026, 11, 9, 7))
    assert [(c, s) for c, s, *_ in exc(con)] == [("CONFIRM_AFTER_CANCEL", "open")]
    assert pay(con, "role") == ["voided"] and pay(con, "settleable") == [False]
    assert pay(con, "holding_code") == ["CONFIRM_AFTER_CANCEL"]


def test_paid_after_cancel_amount_mismatch_after_due_and_their_order(con, facts):
    facts.order("M1", "O1", "lawson", "20000000001", 1000, DUE, T0)
    facts.order("M1", "O2", "lawson", "20000000002", 1000, DUE, T0)
    facts.order("M1", "O3", "lawson", "20000000003", 1000, DUE, T0)
    facts.cancel("M1", "O1", jst(2026, 11, 3))
    f = facts.file("CVS", 1, jst(2026, 11, 10, 10))
    facts.event(f, "lawson", "01", "20000000001", jst(2026, 11, 4, 9), "1", 1000)
    facts.event(f, "lawson", "01", "20000000002", jst(2026, 11, 4, 9), "1", 999)
    # after due AND wrong amount: PAID_AFTER_DUE comes first
    facts.event(f, "lawson", "01", "20000000003", jst(2026, 11, 10, 9), "1", 999)
    reconcile(con, jst(2026, 11, 10, 11))
    got = dict(con.execute("select order_id, code from exceptions").fetchall())
    assert got == {"O1": "PAID_AFTER_CANCEL", "O2": "AMOUNT_MISMATCH", "O3": "PAID_AFTER_DUE"}
    assert statuses(con) == {("M1", "O1"): "cancelled", ("M1", "O2"): "expired", ("M1", "O3"): "expired"}
    assert set(pay(con, "role")) == {"extra"} and not any(pay(con, "settleable"))


def test_voided_order_payment_lets_the_next_one_in_line_take_its_place(con, facts):
    facts.order("M1", "O1", "seven", "1000000000001", 2000, DUE, T0)
    f = facts.file("SEJ_01", 1, jst(2026, 11, 4, 21))
    facts.event(f, "seven", "01", "1000000000001", jst(2026, 11, 4, 9, 15), "1", 2000)
    facts.event(f, "seven", "01", "1000000000001", jst(2026, 11, 4, 20, 40), "2", 2000)
    reconcile(con, jst(2026, 11, 4, 22))
    assert dict(zip(pay(con, "paid_time"), pay(con, "role"), strict=True)) == {
        "091500": "order_payment", "204000": "extra"}
    assert [(c, s) for c, s, *_ in exc(con)] == [("DUPLICATE_PAYMENT", "open")]
    f = facts.file("SEJ_01", 2, jst(2026, 11, 5, 8))
    facts.event(f, "seven", "03", "1000000000001", jst(2026, 11, 4, 9, 15), "1", 2000)
    reconcile(con, jst(2026, 11, 5, 9))
    assert dict(zip(pay(con, "paid_time"), pay(con, "role"), strict=True)) == {
        "091500": "voided", "204000": "order_payment"}
    assert exc(con) == []
    assert statuses(con) == {("M1", "O1"): "paid"}


def test_stamp_mismatch_with_flags_and_barcode(con, facts):
    facts.order("M1", "O1", "seven", "1000000000001", 54000, DUE, T0, tax_amount=4909)
    facts.order("M1", "O2", "lawson", "20000000002", 54000, DUE, T0, tax_amount=4909)
    f = facts.file("CVS", 1, jst(2026, 11, 4, 10))
    facts.event(f, "lawson", "01", "20000000002", jst(2026, 11, 4, 9), "1", 54000, True, False)
    s = facts.file("SEJ_01", 1, jst(2026, 11, 4, 10))
    facts.event(s, "seven", "01", "1000000000001", jst(2026, 11, 4, 9), "1", 54000, True)
    reconcile(con, jst(2026, 11, 4, 11))
    rows = con.execute("select order_id, code, holds, detail from exceptions").fetchall()
    assert rows == [("O2", "STAMP_MISMATCH", False, "expected 0, 01 flag 1, barcode 0")]


def test_file_sequence_gap_after_one_hour_and_cleared_when_accepted(con, facts):
    facts.file("SEJ_01", 1, jst(2026, 11, 4, 10))
    facts.file("SEJ_01", 3, jst(2026, 11, 4, 11))
    facts.file("SEJ_01", 2, jst(2026, 11, 4, 11, 30), state="quarantined")  # rejected: does not count
    facts.file("SEJ_02", 1, jst(2026, 11, 4, 11))
    reconcile(con, jst(2026, 11, 4, 11, 59))
    assert exc(con) == []
    reconcile(con, jst(2026, 11, 4, 12))
    rows = con.execute("select exception_id, sequence_kind, sequence_no, state, raised_at from exceptions"
                       ).fetchall()
    assert rows == [(exception_id("FILE_SEQUENCE_GAP", "SEJ_01", "000002"), "SEJ_01", 2, "open",
                     jst(2026, 11, 4, 12).replace(tzinfo=None))]
    facts.file("SEJ_01", 2, jst(2026, 11, 4, 13))
    reconcile(con, jst(2026, 11, 4, 14))
    assert [(c, s, cl) for c, s, _, cl, _ in exc(con)] == [
        ("FILE_SEQUENCE_GAP", "cleared", jst(2026, 11, 4, 13).replace(tzinfo=None))]


def test_unknown_reference_clears_when_the_order_arrives(con, facts):
    f = facts.file("CVS", 1, jst(2026, 11, 4, 10))
    facts.event(f, "lawson", "02", "20000000001", jst(2026, 11, 4, 9), "1", 1000)
    facts.event(f, "lawson", "01", "20000000001", jst(2026, 11, 4, 9), "1", 1000)
    reconcile(con, jst(2026, 11, 4, 11))
    assert [(c, s) for c, s, *_ in exc(con)] == [("UNKNOWN_REFERENCE", "open")]
    assert pay(con, "role") == ["unmatched"] and pay(con, "merchant_id") == [None]
    facts.order("M1", "O1", "lawson", "20000000001", 1000, DUE, jst(2026, 11, 4, 12))
    reconcile(con, jst(2026, 11, 4, 13))
    assert [(c, s) for c, s, *_ in exc(con)] == [("UNKNOWN_REFERENCE", "cleared")]
    assert pay(con, "role") == ["order_payment"] and pay(con, "settleable") == [True]


def test_settled_payment_stays_the_orders_payment(con, facts):
    facts.order("M1", "O1", "seven", "1000000000001", 1000, DUE, T0)
    f = facts.file("SEJ_02", 1, jst(2026, 11, 9, 6))
    facts.event(f, "seven", "02", "1000000000001", jst(2026, 11, 4, 12), "2", 1000)
    reconcile(con, jst(2026, 11, 9, 7))
    (pid,) = pay(con, "payment_id")
    con.execute(
        "insert into settlement_finalizations by name select 'S1' as settlement_id, 'M1' as merchant_id,"
        " date '2026-11-01' as period_start, date '2026-11-30' as period_end,"
        " timestamp '2026-12-10 23:59:59' as cutoff, date '2026-12-15' as payout_date,"
        " timestamp '2026-12-11 09:00' as finalized_at, 'ops' as finalized_by, 1 as run_id, 1 as cycle,"
        " 1 as payment_count, 1000 as payments_total, 0 as fees, 0 as tax, 0 as stamps, 0 as adjustments,"
        " 0 as carried_in, 1000 as net")
    con.execute("insert into settlement_lines by name select 'S1' as settlement_id, 1 as line_no,"
                " ? as payment_id, 'payment' as kind, 1000 as amount, 0 as fee, 0 as stamp", [pid])
    # an earlier payment of the same order shows up late: it must not displace the settled one
    f = facts.file("SEJ_02", 2, jst(2026, 12, 12, 6))
    facts.event(f, "seven", "02", "1000000000001", jst(2026, 11, 4, 9), "1", 1000)
    reconcile(con, jst(2026, 12, 12, 7))
    assert statuses(con) == {("M1", "O1"): "settled"}
    roles = dict(con.execute("select store_code, role from payments").fetchall())
    assert roles == {"2": "order_payment", "1": "extra"}
    assert [c for c, s, *_ in exc(con) if s == "open"] == ["CONFIRM_WITHOUT_PRELIM", "CONFIRM_WITHOUT_PRELIM",
                                                          "DUPLICATE_PAYMENT"]


def table_rows(con, table, exclude=("as_of",)):
    cols = [c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
        [table]).fetchall() if c not in exclude]
    return sorted(con.execute(f"select {', '.join(cols)} from {table}").fetchall(), key=repr)


def test_rerun_with_same_facts_and_as_of_gives_identical_rows(con, facts):
    load_sample_facts(facts)
    reconcile(con, jst(2026, 11, 20))
    first = {t: table_rows(con, t, ()) for t in ("payments", "order_status", "exceptions")}
    reconcile(con, jst(2026, 11, 20))
    assert {t: table_rows(con, t, ()) for t in first} == first
    ids = [r[0] for r in con.execute("select payment_id from payments").fetchall()]
    assert len(ids) == len(set(ids))
    ex = [r[0] for r in con.execute("select exception_id from exceptions").fetchall()]
    assert len(ex) == len(set(ex))


def test_scoped_window_run_equals_a_full_run(con, facts):
    load_sample_facts(facts)
    reconcile(con, jst(2026, 11, 5))
    # a day later: a 02 for the 20:40 payment, a new order paid; then the rest of the time passes
    facts.order("M000002", "B-2003", "seven", "1000000000099", 700, date(2026, 11, 30), jst(2026, 11, 10))
    f = facts.file("SEJ_02", 2, jst(2026, 11, 10, 6))
    facts.event(f, "seven", "02", "1000000000005", jst(2026, 11, 4, 20, 40), "3456789", 2000)
    facts.event(f, "seven", "02", "1000000000099", jst(2026, 11, 9, 10), "1", 700)
    reconcile(con, jst(2026, 11, 20), since=jst(2026, 11, 5), until=jst(2026, 11, 20))
    scoped = {t: table_rows(con, t) for t in ("payments", "order_status", "exceptions")}
    reconcile(con, jst(2026, 11, 20))
    assert {t: table_rows(con, t) for t in scoped} == scoped
    assert ("A-1005", "204000", "PRELIM_NOT_CONFIRMED") not in open_exceptions(con)


def test_merchant_scoped_run_touches_only_that_merchant(con, facts):
    load_sample_facts(facts)
    reconcile(con, jst(2026, 11, 4))
    res = reconcile(con, jst(2026, 11, 20), merchant="M000002")
    assert res.scope == "scoped" and res.orders == 2
    asof = dict(con.execute("select merchant_id, max(as_of) from order_status group by 1").fetchall())
    assert asof["M000002"] == jst(2026, 11, 20).replace(tzinfo=None)
    assert asof["M000001"] == jst(2026, 11, 4).replace(tzinfo=None)


def test_incremental_run_equals_a_full_run_even_for_a_late_committed_pull(con, facts):
    load_sample_facts(facts)
    first = reconcile(con, jst(2026, 11, 5), incremental=True)
    assert first.scope == "full"  # nothing to start from
    # a pull that took its time before the run (ingested 11-04 23:00) but committed after it;
    # nothing time-driven in (11-05, 11-20] touches B-2003: only the file watermark catches it
    facts.order("M000002", "B-2003", "seven", "1000000000099", 700, date(2026, 11, 30), jst(2026, 11, 2))
    f = facts.file("SEJ_02", 2, jst(2026, 11, 4, 23))
    facts.event(f, "seven", "02", "1000000000099", jst(2026, 11, 4, 9), "1", 700)
    res = reconcile(con, jst(2026, 11, 20), incremental=True)
    assert statuses(con)[("M000002", "B-2003")] == "confirmed"
    assert res.scope == "incremental"
    got = {t: table_rows(con, t) for t in ("payments", "order_status", "exceptions")}
    reconcile(con, jst(2026, 11, 20))
    assert {t: table_rows(con, t) for t in got} == got


def test_a_03_after_settlement_is_shown_with_its_settlement(con, facts):
    facts.order("M1", "O1", "seven", "1000000000001", 1000, DUE, T0)
    f1 = facts.file("SEJ_01", 1, jst(2026, 11, 4, 10))
    facts.event(f1, "seven", "01", "1000000000001", jst(2026, 11, 4, 9), "1", 1000)
    f2 = facts.file("SEJ_02", 1, jst(2026, 11, 9, 6))
    facts.event(f2, "seven", "02", "1000000000001", jst(2026, 11, 4, 9), "1", 1000)
    reconcile(con, jst(2026, 11, 9, 7))
    (pid,) = pay(con, "payment_id")
    con.execute(
        "insert into settlement_finalizations by name select 'S1' as settlement_id, 'M1' as merchant_id,"
        " date '2026-11-01' as period_start, date '2026-11-30' as period_end,"
        " timestamp '2026-12-10 23:59:59' as cutoff, date '2026-12-15' as payout_date,"
        " timestamp '2026-12-11 09:00' as finalized_at, 'ops' as finalized_by, 1 as run_id, 1 as cycle,"
        " 1 as payment_count, 1000 as payments_total, 0 as fees, 0 as tax, 0 as stamps, 0 as adjustments,"
        " 0 as carried_in, 1000 as net")
    con.execute("insert into settlement_lines by name select 'S1' as settlement_id, 1 as line_no,"
                " ? as payment_id, 'payment' as kind, 1000 as amount, 0 as fee, 0 as stamp", [pid])
    f3 = facts.file("SEJ_01", 2, jst(2026, 12, 12, 10))
    facts.event(f3, "seven", "03", "1000000000001", jst(2026, 11, 4, 9), "1", 1000)
    reconcile(con, jst(2026, 12, 12, 11))
    rows = con.execute("select code, state, settled_in from v_exceptions").fetchall()
    assert rows == [("CONFIRM_AFTER_CANCEL", "open", "S1")]
    assert statuses(con) == {("M1", "O1"): "expired"}  # voided: no longer the order's payment
