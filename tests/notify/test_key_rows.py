"""The incremental reconciliation hands the enqueue the facts of its keys (tasks.reconcile.key_rows):
the outbox must be the one an enqueue reading the whole tables gives."""

from __future__ import annotations

from datetime import date, datetime

from tasks.clock import JST
from tasks.notify.outbox import enqueue_events
from tasks.reconcile.run import reconcile

URL = "https://merchant1.example/hooks/konbini"
SECRET = "k3J9xQ2mV8pL5tR1wZ7yB4nC6dF0gH2s"
OUTBOX = ("select event_id, type, subject, merchant_id, order_id, chain, payment_id, amount, paid_at,"
          " store_code, happened_at from notification_outbox order by event_id")


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


def _day(facts) -> None:
    """A first day reconciled, then a second day's facts of every kind the enqueue looks up."""
    f = facts
    f.master(jst(2026, 11, 1), {"M000001": (URL, SECRET), "M000002": (None, None)})
    f.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
    f.order("M000001", "A-2", "seven", "1000000000002", 1200, date(2026, 11, 5), jst(2026, 11, 2, 10))
    f.order("M000001", "A-3", "famima", "300000000004", 12800, date(2026, 11, 5), jst(2026, 11, 2, 10))
    f.order("M000002", "B-1", "lawson", "20000000001", 500, date(2026, 11, 9), jst(2026, 11, 2, 10))
    f.record("seven", "01", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 3, 10))
    f.record("famima", "01", "300000000004", jst(2026, 11, 3, 11), "012345", 12800, jst(2026, 11, 3, 12))
    f.record("lawson", "01", "20000000009", jst(2026, 11, 3, 9), "77", 700, jst(2026, 11, 3, 10))
    con = f.con
    con.execute("begin")
    reconcile(con, jst(2026, 11, 4))
    con.execute("commit")
    # the second day: a 確報 of a known payment, the same 速報 re-sent, the order of a payment seen
    # before it, a void of a paid order (expired since its due date), and a due date passing
    f.record("seven", "02", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 6, 6))
    f.record("seven", "01", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 6, 7))
    f.order("M000001", "A-4", "lawson", "20000000009", 700, date(2026, 11, 20), jst(2026, 11, 6, 8))
    f.record("famima", "03", "300000000004", jst(2026, 11, 3, 11), "012345", 12800, jst(2026, 11, 6, 9))


def test_the_incremental_runs_enqueue_from_its_own_rows_equals_reading_every_table(facts):
    _day(facts)
    con = facts.con
    con.execute("begin")
    result = reconcile(con, jst(2026, 11, 7), incremental=True)
    con.execute("commit")
    assert result.scope == "incremental"
    got = con.execute(OUTBOX).fetchall()
    # the same day's enqueue again, reading the whole tables (no rows handed over), from the same mark
    con.execute("delete from notification_outbox where created_at = ?", [datetime(2026, 11, 7)])
    con.execute("delete from notification_enqueue_marks where as_of = ?", [datetime(2026, 11, 7)])
    assert enqueue_events(con, jst(2026, 11, 7)) == result.notifications
    assert con.execute(OUTBOX).fetchall() == got
    types = sorted(t for _, t, *_ in got)
    assert types == ["order.expired", "order.expired", "payment.cancelled", "payment.confirmed",
                     "payment.preliminary", "payment.preliminary", "payment.preliminary"]


def test_the_enqueue_from_its_mark_finds_facts_of_its_keys_however_old(facts):
    """On its own (no rows handed over), the enqueue reads its keys' facts from the earliest one the
    key index knows: a payment seen in June before its order arrived in November is still found."""
    f, con = facts, facts.con
    f.master(jst(2026, 5, 1), {"M000001": (URL, SECRET)})
    f.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 6, 20), jst(2026, 6, 1, 10))
    f.record("seven", "01", "1000000000001", jst(2026, 6, 2, 9), "0001234", 3980, jst(2026, 6, 2, 23))
    f.record("seven", "01", "1000000000005", jst(2026, 6, 2, 9), "0001234", 500, jst(2026, 6, 2, 23))
    con.execute("begin")
    reconcile(con, jst(2026, 6, 3))  # brings the key index up to date; enqueues and leaves a mark
    con.execute("commit")
    f.order("M000001", "B-1", "seven", "1000000000005", 500, date(2026, 11, 20), jst(2026, 11, 10, 8))
    f.record("seven", "02", "1000000000001", jst(2026, 6, 2, 9), "0001234", 3980, jst(2026, 11, 10, 6))
    assert enqueue_events(con, jst(2026, 11, 11)) == 2
    got = con.execute(OUTBOX).fetchall()
    a1, b1 = _pid("1000000000001", 3980), _pid("1000000000005", 500)
    assert sorted((t, s) for _, t, s, *_ in got) == sorted([
        ("payment.confirmed", a1), ("payment.preliminary", a1), ("payment.preliminary", b1)])
    # every fact again, without a mark (the tables read whole): the same outbox
    con.execute("delete from notification_outbox where created_at = ?", [datetime(2026, 11, 11)])
    con.execute("delete from notification_enqueue_marks")
    assert enqueue_events(con, jst(2026, 11, 11)) == 2
    assert con.execute(OUTBOX).fetchall() == got


def _pid(reference: str, amount: int) -> str:
    import hashlib

    return hashlib.md5(f"seven|{reference}|2026-06-02|090000|0001234|{amount}".encode()).hexdigest()
