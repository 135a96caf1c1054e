"""Notifications never die untried: the 72 hours run from the first attempt of the retry window."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tasks.clock import JST
from tasks.notify.delivery import deliver_due
from tasks.notify.outbox import enqueue_events

SECRET = "s1-" + "a" * 40
T0 = datetime(2026, 11, 4, 12, 0, tzinfo=JST)


def state(facts, order_id="A-1"):
    return facts.con.execute(
        "select type, state, attempts from notification_outbox where order_id = ? order by happened_at",
        [order_id]).fetchall()


def test_a_backlog_after_an_outage_longer_than_72_hours_gets_its_retries(facts, hook, warehouse):
    facts.master(datetime(2026, 11, 1, tzinfo=JST), {"M000001": (hook.url("/m1"), SECRET)})
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9),
                datetime(2026, 11, 2, 10, tzinfo=JST))
    paid = datetime(2026, 11, 3, 9, 15, tzinfo=JST)
    facts.record("seven", "01", "1000000000001", paid, "0001234", 3980, datetime(2026, 11, 3, 10, tzinfo=JST))
    facts.record("seven", "02", "1000000000001", paid, "0001234", 3980, datetime(2026, 11, 3, 11, tzinfo=JST))
    assert enqueue_events(facts.con, T0) == 2
    hook.default = 503

    def deliver(at):
        return deliver_due(warehouse, at, allow_loopback=True, timeout_s=5)

    # our delivery was down for 100 hours: the first attempt is not the last
    back = T0 + timedelta(hours=100)
    assert deliver(back) == {"attempted": 1, "delivered": 0, "failed": 1, "dead": 0}
    assert deliver(back + timedelta(minutes=1))["failed"] == 1
    assert deliver(back + timedelta(hours=71, minutes=59))["failed"] == 1
    assert state(facts) == [("payment.preliminary", "pending", 3), ("payment.confirmed", "pending", 0)]
    # the first failure 72 hours or more after its first attempt is its last …
    end = back + timedelta(hours=72, minutes=5)
    assert deliver(end) == {"attempted": 1, "delivered": 0, "failed": 0, "dead": 1}
    # … then the next event of the order is tried, and has its own 72 hours
    assert deliver(end + timedelta(minutes=1))["failed"] == 1
    assert state(facts) == [("payment.preliminary", "dead", 4), ("payment.confirmed", "pending", 1)]
    assert deliver(end + timedelta(hours=71))["dead"] == 0
    hook.default = 200
    assert deliver(end + timedelta(hours=71, minutes=30))["delivered"] == 1
    assert state(facts)[1] == ("payment.confirmed", "delivered", 3)
