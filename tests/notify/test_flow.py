"""The delivery flow as a real Prefect run against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tasks.clock import JST
from tasks.notify import signing
from tasks.notify.outbox import enqueue_events

SECRET = "flow-" + "c" * 40


def test_deliver_notifications_flow(prefect_harness, loopback, facts, hook):
    from flows.notify import deliver_notifications

    facts.master(datetime(2026, 11, 1, tzinfo=JST), {"M000001": (hook.url("/m1"), SECRET)})
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9),
                datetime(2026, 11, 2, 10, tzinfo=JST))
    facts.record("seven", "01", "1000000000001", datetime(2026, 11, 3, 9, 15, tzinfo=JST), "0001234", 3980,
                 datetime(2026, 11, 3, 10, tzinfo=JST))
    t0 = datetime(2026, 11, 4, 12, 0, tzinfo=JST)
    assert enqueue_events(facts.con, t0) == 1
    facts.con.close()  # the flow is the writer now
    hook.script["/m1"] = [500]

    first = deliver_notifications(as_of=t0)
    second = deliver_notifications(as_of=t0 + timedelta(minutes=1))
    assert first == {"attempted": 1, "delivered": 0, "failed": 1, "dead": 0}
    assert second == {"attempted": 1, "delivered": 1, "failed": 0, "dead": 0}
    a, b = hook.received
    assert a.headers["Konbini-Event-Id"] == b.headers["Konbini-Event-Id"] == b.json["id"]
    assert signing.verify(SECRET, b.headers["Konbini-Timestamp"], b.headers["Konbini-Signature"], b.body)
    assert loopback.analytics_path.exists()  # published for analysts after the writing run
