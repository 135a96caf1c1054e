"""The outbox: which facts become events, with which ids, and that reprocessing adds nothing."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from tasks.clock import JST
from tasks.notify.outbox import enqueue_events

URL = "https://merchant1.example/hooks/konbini"
SECRET = "k3J9xQ2mV8pL5tR1wZ7yB4nC6dF0gH2s"


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


def events(con) -> list[tuple]:
    return con.execute(
        "select type, merchant_id, order_id, chain, amount, paid_at, store_code from notification_outbox"
        " order by merchant_id, order_id, happened_at, type"
    ).fetchall()


def test_payment_events_for_known_orders_of_notified_merchants_only(facts):
    facts.master(jst(2026, 11, 1), {"M000001": (URL, SECRET), "M000002": ("", "")})
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
    facts.order("M000002", "B-1", "seven", "1000000000002", 1200, date(2026, 11, 9), jst(2026, 11, 2, 10))
    facts.order("M000001", "A-2", "lawson", "20000000003", 500, date(2026, 11, 9), jst(2026, 11, 2, 10))
    paid = jst(2026, 11, 3, 9, 15)
    pid = facts.record("seven", "01", "1000000000001", paid, "0001234", 3980, jst(2026, 11, 3, 10))
    facts.record("seven", "01", "1000000000001", paid, "0001234", 3980, jst(2026, 11, 3, 11))  # resent
    facts.record("seven", "03", "1000000000001", paid, "0001234", 3980, jst(2026, 11, 3, 11))
    facts.record("seven", "02", "1000000000001", paid, "0001234", 3980, jst(2026, 11, 9, 6))
    facts.record("seven", "01", "1000000000002", paid, "0001234", 1200, jst(2026, 11, 3, 10))  # no url
    facts.record("seven", "01", "1000000000009", paid, "0001234", 999, jst(2026, 11, 3, 10))  # unknown
    facts.record("seven", "01", "20000000003", paid, "0001234", 500, jst(2026, 11, 3, 10))  # other chain

    assert enqueue_events(facts.con, jst(2026, 11, 3, 12)) == 2  # the 02 is not known yet
    assert enqueue_events(facts.con, jst(2026, 11, 3, 12)) == 0
    assert enqueue_events(facts.con, jst(2026, 11, 10)) == 1
    assert enqueue_events(facts.con, jst(2026, 11, 10)) == 0
    naive_paid = paid.replace(tzinfo=None)
    assert events(facts.con) == [
        ("payment.preliminary", "M000001", "A-1", "seven", 3980, naive_paid, "0001234"),
        ("payment.cancelled", "M000001", "A-1", "seven", 3980, naive_paid, "0001234"),
        ("payment.confirmed", "M000001", "A-1", "seven", 3980, naive_paid, "0001234"),
    ]
    ids = dict(facts.con.execute("select type, event_id from notification_outbox").fetchall())
    for type_, event_id in ids.items():
        assert event_id == hashlib.md5(f"{type_}|{pid}".encode()).hexdigest()


def test_an_order_arriving_after_its_payment_makes_the_event(facts):
    facts.master(jst(2026, 11, 1), {"M000001": (URL, SECRET)})
    paid = jst(2026, 11, 3, 9, 15)
    facts.record("seven", "01", "1000000000001", paid, "0001234", 3980, jst(2026, 11, 3, 10))
    assert enqueue_events(facts.con, jst(2026, 11, 3, 12)) == 0  # UNKNOWN_REFERENCE: no merchant
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9), jst(2026, 11, 3, 13))
    assert enqueue_events(facts.con, jst(2026, 11, 3, 14)) == 1
    assert facts.con.execute("select happened_at from notification_outbox").fetchone() == (
        datetime(2026, 11, 3, 13),
    )


def _two_orders_first_paid(facts, url: str | None, secret: str | None) -> None:
    """M000001 (notify URL as given) with orders A-1 and A-2; A-1's 速報 ingested 11-03 10:00."""
    facts.master(jst(2026, 11, 1), {"M000001": (url, secret)})
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
    facts.order("M000001", "A-2", "seven", "1000000000002", 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
    facts.record("seven", "01", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 3, 10))


def test_history_before_the_merchant_had_a_notify_url_is_not_sent(facts):
    _two_orders_first_paid(facts, None, None)
    assert enqueue_events(facts.con, jst(2026, 11, 4)) == 0
    facts.master(jst(2026, 11, 5), {"M000001": (URL, SECRET)})
    facts.record("seven", "01", "1000000000002", jst(2026, 11, 5, 9), "0001234", 3980, jst(2026, 11, 5, 10))
    assert enqueue_events(facts.con, jst(2026, 11, 6)) == 1
    assert [e[2] for e in events(facts.con)] == ["A-2"]
    # the url removed in the current master data: no new events
    facts.master(jst(2026, 11, 7), {"M000001": (None, None)})
    facts.record("seven", "02", "1000000000002", jst(2026, 11, 5, 9), "0001234", 3980, jst(2026, 11, 9, 6))
    assert enqueue_events(facts.con, jst(2026, 11, 10)) == 0
    # … and back: what happened while it had none is not sent, what happens from now on is
    facts.master(jst(2026, 11, 11), {"M000001": (URL, SECRET)})
    assert enqueue_events(facts.con, jst(2026, 11, 12)) == 0
    facts.record("seven", "02", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 12, 6))
    assert enqueue_events(facts.con, jst(2026, 11, 13)) == 1
    got = [(e[0], e[2]) for e in events(facts.con)]
    assert got == [("payment.confirmed", "A-1"), ("payment.preliminary", "A-2")]


def test_order_expired_from_the_reconciliation_in_its_transaction(facts):
    from tasks.reconcile.run import reconcile

    facts.master(jst(2026, 11, 1), {"M000001": (URL, SECRET)})
    facts.order("M000001", "A-1", "seven", "1000000000001", 1200, date(2026, 11, 5), jst(2026, 11, 2, 10))
    facts.order("M000001", "A-2", "seven", "1000000000002", 1200, date(2026, 11, 5), jst(2026, 11, 2, 10))
    facts.record("seven", "01", "1000000000002", jst(2026, 11, 4, 9), "0001234", 1200, jst(2026, 11, 4, 10))
    con = facts.con
    con.execute("begin")
    assert reconcile(con, jst(2026, 11, 5, 23, 59)).notifications == 1  # A-2's 速報
    con.execute("commit")
    con.execute("begin")
    result = reconcile(con, jst(2026, 11, 6, 0, 0))
    con.execute("rollback")  # a failed reconciliation leaves no event behind
    assert result.notifications == 1
    assert len(events(con)) == 1
    con.execute("begin")
    assert reconcile(con, jst(2026, 11, 6, 0, 0)).notifications == 1
    con.execute("commit")
    con.execute("begin")
    assert reconcile(con, jst(2026, 11, 7)).notifications == 0  # reprocessing: nothing new
    con.execute("commit")
    expired = con.execute(
        "select order_id, amount, paid_at, store_code, happened_at from notification_outbox"
        " where type = 'order.expired'"
    ).fetchall()
    assert expired == [("A-1", 1200, None, None, datetime(2026, 11, 6))]


def test_the_outbox_holds_no_personal_data(facts):
    cols = {c for (c,) in facts.con.execute(
        "select column_name from information_schema.columns where table_name like 'notification_%'"
    ).fetchall()}
    assert not {c for c in cols if "customer" in c or "phone" in c or "email" in c or "name" in c}


def test_an_order_expired_by_a_late_void_expires_after_the_void(facts):
    from tasks.reconcile.run import reconcile

    facts.master(jst(2026, 11, 1), {"M000001": (URL, SECRET)})
    facts.order("M000001", "A-1", "famima", "300000000004", 12800, date(2026, 11, 9), jst(2026, 11, 2, 10))
    paid = jst(2026, 11, 4, 11)
    facts.record("famima", "01", "300000000004", paid, "012345", 12800, jst(2026, 11, 4, 12))
    facts.record("famima", "03", "300000000004", paid, "012345", 12800, jst(2026, 11, 12, 9))
    con = facts.con
    con.execute("begin")
    assert reconcile(con, jst(2026, 11, 10)).notifications == 1  # paid: only the 速報
    con.execute("commit")
    con.execute("begin")
    assert reconcile(con, jst(2026, 11, 12, 10)).notifications == 2
    con.execute("commit")
    from tasks.notify.outbox import ORDER_KEY  # the order of delivery

    got = con.execute(f"select type, happened_at from notification_outbox order by {ORDER_KEY}").fetchall()
    assert got == [
        ("payment.preliminary", datetime(2026, 11, 4, 12)),
        ("payment.cancelled", datetime(2026, 11, 12, 9)),
        ("order.expired", datetime(2026, 11, 12, 9)),
    ]


def test_a_resent_record_counts_from_its_first_sighting(facts):
    """Looking only at files after the mark, an event seen again still counts from its first
    sighting: a record from before the merchant had a notify_url, re-sent after, makes no event."""
    facts.master(jst(2026, 11, 1), {"M000001": (None, None)})
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
    facts.record("seven", "01", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 3, 10))
    assert enqueue_events(facts.con, jst(2026, 11, 4)) == 0
    facts.master(jst(2026, 11, 5), {"M000001": (URL, SECRET)})
    assert enqueue_events(facts.con, jst(2026, 11, 5, 12)) == 0
    facts.record("seven", "01", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 6, 10))
    assert enqueue_events(facts.con, jst(2026, 11, 7)) == 0
    facts.record("seven", "02", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 8, 6))
    assert enqueue_events(facts.con, jst(2026, 11, 9)) == 1


def test_the_enqueue_looks_only_at_files_after_its_mark(facts):
    _two_orders_first_paid(facts, URL, SECRET)
    assert enqueue_events(facts.con, jst(2026, 11, 4)) == 1
    marks = facts.con.execute("select as_of, max_file_id, enqueued from notification_enqueue_marks")
    marks = marks.fetchall()
    assert marks == [(datetime(2026, 11, 4), facts.file_id, 1)]
    # a record in a file the mark has passed (ingestion never does this: file ids grow in commit
    # order) is not looked at again; a new file is
    facts.file_id, passed = 0, facts.file_id
    facts.record("seven", "01", "1000000000002", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 3, 11))
    facts.file_id = passed
    assert enqueue_events(facts.con, jst(2026, 11, 5)) == 0
    facts.record("seven", "02", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 4, 6))
    assert enqueue_events(facts.con, jst(2026, 11, 6)) == 1
    # without marks every fact is looked at again
    facts.con.execute("delete from notification_enqueue_marks")
    assert enqueue_events(facts.con, jst(2026, 11, 6)) == 1
    assert sorted(e[2] for e in events(facts.con)) == ["A-1", "A-1", "A-2"]
