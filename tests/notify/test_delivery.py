"""Delivery against a real HTTP server on 127.0.0.1 (tests/notify/conftest.py: hook)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tasks.clock import JST
from tasks.notify import signing
from tasks.notify.delivery import claim, deliver_due, send_and_record
from tasks.notify.outbox import enqueue_events, replay
from tasks.notify.retry import backoff
from tasks.warehouse import transaction

SECRET_1 = "s1-" + "a" * 40
SECRET_2 = "s2-" + "b" * 40


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


T0 = jst(2026, 11, 4, 12, 0)


def setup_one(facts, hook, path="/m1", secret=SECRET_1, n_orders=1):
    facts.master(jst(2026, 11, 1), {"M000001": (hook.url(path), secret)})
    for i in range(n_orders):
        ref = f"10000000000{i:02d}"
        facts.order("M000001", f"A-{i}", "seven", ref, 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
        facts.record("seven", "01", ref, jst(2026, 11, 3, 9, 15), "0001234", 3980, jst(2026, 11, 3, 10))
    assert enqueue_events(facts.con, T0) == n_orders


def deliver(warehouse, at, **kw):
    kw.setdefault("timeout_s", 10.0)  # the real limit: a loaded CI machine can be slow to answer
    return deliver_due(warehouse, at, allow_loopback=True, **kw)


def deliver_on(con, at, **kw):
    """claim, send, record on one open connection (many runs in a row, no reconnecting)."""
    with transaction(con):
        chains = claim(con, at, True)
    return send_and_record(lambda: transaction(con), chains, at, allow_loopback=True)


def outbox(facts):
    cur = facts.con.execute("select event_id, state, attempts, next_attempt_at from notification_outbox")
    return cur.fetchall()


def test_signature_verifies_with_the_merchants_secret_only(facts, hook, warehouse):
    setup_one(facts, hook)
    assert deliver(warehouse, T0) == {"attempted": 1, "delivered": 1, "failed": 0, "dead": 0}
    (r,) = hook.received
    ts, sig = r.headers["Konbini-Timestamp"], r.headers["Konbini-Signature"]
    assert sig.startswith("v1=") and len(sig) == 3 + 64
    assert abs(int(ts) - int(T0.timestamp())) <= 2  # the run's clock, not the wall clock
    assert signing.verify(SECRET_1, ts, sig, r.body)
    assert not signing.verify(SECRET_2, ts, sig, r.body)
    assert not signing.verify(SECRET_1, str(int(ts) + 1), sig, r.body)
    assert not signing.verify(SECRET_1, ts, sig, r.body.replace(b"3980", b"3981"))
    body = r.json
    assert set(body) == {"id", "type", "merchant_id", "order_id", "chain", "amount", "paid_at", "store_code"}
    assert body["id"] == r.headers["Konbini-Event-Id"]
    assert body["type"] == "payment.preliminary"
    assert (body["merchant_id"], body["order_id"], body["chain"]) == ("M000001", "A-0", "seven")
    assert body["amount"] == 3980 and body["paid_at"] == "2026-11-03T09:15:00+09:00"
    assert body["store_code"] == "0001234"
    for personal in (b"0312345678", b"taro@example.jp", "ヤマダ".encode()):
        assert personal not in r.body
    assert outbox(facts)[0][1:3] == ("delivered", 1)
    assert deliver(warehouse, T0 + timedelta(minutes=5))["attempted"] == 0  # never sent twice


def test_500_then_200_is_delivered_once_with_the_same_event_id(facts, hook, warehouse):
    setup_one(facts, hook)
    hook.script["/m1"] = [500]
    assert deliver(warehouse, T0)["failed"] == 1
    ((event_id, state, attempts, next_at),) = outbox(facts)
    assert (state, attempts) == ("pending", 1)
    assert next_at == (T0 + timedelta(minutes=1)).replace(tzinfo=None)
    assert deliver(warehouse, T0 + timedelta(seconds=30))["attempted"] == 0  # not due yet
    assert deliver(warehouse, T0 + timedelta(minutes=1))["delivered"] == 1
    ids = [r.headers["Konbini-Event-Id"] for r in hook.received]
    assert ids == [event_id, event_id]
    assert [r.body for r in hook.received][0] == hook.received[1].body
    log = facts.con.execute(
        "select attempt, status_code, delivered, error from notification_attempts order by attempt"
    ).fetchall()
    assert log == [(1, 500, False, "HTTP 500"), (2, 200, True, None)]


def test_a_hanging_server_times_out_and_is_retried(facts, hook, warehouse):
    setup_one(facts, hook)
    hook.script["/m1"] = [("hang", 5)]
    summary = deliver(warehouse, T0, timeout_s=1.0)
    assert summary["failed"] == 1
    (status, latency, error) = facts.con.execute(
        "select status_code, latency_ms, error from notification_attempts"
    ).fetchone()
    assert status is None and 900 <= latency < 4500 and error == "no complete answer within 1 s"
    assert deliver(warehouse, T0 + timedelta(minutes=1))["delivered"] == 1


def test_redirect_is_a_failure_and_not_followed(facts, hook, warehouse):
    setup_one(facts, hook)
    hook.script["/m1"] = [("redirect", hook.url("/elsewhere"))]
    assert deliver(warehouse, T0)["failed"] == 1
    assert [r.path for r in hook.received] == ["/m1"]
    assert facts.con.execute("select last_status_code from notification_outbox").fetchone() == (302,)


def test_backoff_doubles_up_to_an_hour_and_72_hours_dead_letters(facts, hook, warehouse):
    assert [backoff(n).total_seconds() / 60 for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    setup_one(facts, hook)
    hook.default = 503
    at, waits = T0, []
    while True:
        deliver_on(facts.con, at)
        ((_, state, attempts, next_at),) = outbox(facts)
        if state == "dead":
            break
        waits.append(next_at - at.replace(tzinfo=None))
        at = at + (next_at - at.replace(tzinfo=None))
        if len(waits) == 8:  # the hourly retries: skip ahead (the clock is ours) to 71 h 30 min
            assert deliver_on(facts.con, T0 + timedelta(hours=71, minutes=30))["failed"] == 1
            at = T0 + timedelta(hours=72, minutes=30)
            assert outbox(facts)[0][3] == at.replace(tzinfo=None)
        assert at < T0 + timedelta(hours=74)
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]
    assert at == T0 + timedelta(hours=72, minutes=30)  # the first failure past 72 h is the last
    assert attempts == len(hook.received) == len(waits) + 2
    assert deliver(warehouse, at + timedelta(days=1))["attempted"] == 0
    failures = facts.con.execute("select state, attempts, last_status_code from v_notification_failures")
    assert failures.fetchall() == [("dead", attempts, 503)]
    # replay: the same event id again, with a fresh window
    hook.default = 200
    with warehouse.write() as con:
        (event_id,) = replay(con, at + timedelta(days=1), "ops", event_id=outbox(facts)[0][0])
    assert deliver(warehouse, at + timedelta(days=1))["delivered"] == 1
    assert {r.headers["Konbini-Event-Id"] for r in hook.received} == {event_id}
    assert facts.con.execute("select count(*) from notification_replays").fetchone() == (1,)
    assert facts.con.execute("select count(*) from v_notification_failures").fetchone() == (0,)


def test_events_of_one_order_are_delivered_in_order(facts, hook, warehouse):
    facts.master(jst(2026, 11, 1), {"M000001": (hook.url("/m1"), SECRET_1)})
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
    facts.order("M000001", "A-2", "seven", "1000000000002", 100, date(2026, 11, 9), jst(2026, 11, 2, 10))
    paid = jst(2026, 11, 3, 9, 15)
    # the 02 was ingested first, then the 01 and the 03 in one file later; A-2: one 01
    facts.record("seven", "02", "1000000000001", paid, "0001234", 3980, jst(2026, 11, 3, 11))
    facts.record("seven", "03", "1000000000001", paid, "0001234", 3980, jst(2026, 11, 3, 12))
    facts.record("seven", "01", "1000000000001", paid, "0001234", 3980, jst(2026, 11, 3, 12))
    facts.record("seven", "01", "1000000000002", paid, "0001234", 100, jst(2026, 11, 3, 12))
    assert enqueue_events(facts.con, T0) == 4
    hook.script["/m1"] = [500]  # the first request fails
    # one order's chain stops at its failure; the other order is not held up (one at a time: the
    # first request is A-1's first event)
    first = deliver(warehouse, T0, concurrency=1)
    assert first["failed"] == 1 and first["delivered"] == 1
    got = [(b["order_id"], b["type"]) for b in hook.bodies()]
    assert got == [("A-1", "payment.confirmed"), ("A-2", "payment.preliminary")]
    assert deliver(warehouse, T0 + timedelta(seconds=59))["attempted"] == 0  # A-1's later events wait
    assert deliver(warehouse, T0 + timedelta(minutes=1))["delivered"] == 3
    got = [(b["order_id"], b["type"]) for b in hook.bodies() if b["order_id"] == "A-1"]
    assert got == [
        ("A-1", "payment.confirmed"), ("A-1", "payment.confirmed"),
        ("A-1", "payment.preliminary"), ("A-1", "payment.cancelled"),
    ]


def test_no_event_of_one_merchant_goes_to_anothers_url(facts, hook, warehouse):
    facts.master(
        jst(2026, 11, 1),
        {
            "M000001": (hook.url("/m1"), SECRET_1),
            "M000002": (hook.url("/m2"), SECRET_2),
            "M000003": (None, None),
        },
    )
    refs = {}
    for m, n in (("M000001", 30), ("M000002", 30), ("M000003", 5)):
        for i in range(n):
            ref = f"{m[-1]}{i:012d}"
            refs[ref] = m
            facts.order(m, f"O-{i}", "seven", ref, 1000 + i, date(2026, 11, 9), jst(2026, 11, 2, 10))
            paid = jst(2026, 11, 3, 9, i)
            facts.record("seven", "01", ref, paid, "0001234", 1000 + i, jst(2026, 11, 3, 10))
    assert enqueue_events(facts.con, T0) == 60
    assert deliver(warehouse, T0, concurrency=16)["delivered"] == 60
    secrets = {"/m1": SECRET_1, "/m2": SECRET_2}
    merchants = {"/m1": "M000001", "/m2": "M000002"}
    assert len(hook.received) == 60
    for r in hook.received:
        assert r.json["merchant_id"] == merchants[r.path]
        ts, sig = r.headers["Konbini-Timestamp"], r.headers["Konbini-Signature"]
        assert signing.verify(secrets[r.path], ts, sig, r.body)


def test_replay_by_merchant_since_resends_with_the_same_ids(facts, hook, warehouse):
    setup_one(facts, hook, n_orders=3)
    assert deliver(warehouse, T0)["delivered"] == 3
    first = sorted(r.headers["Konbini-Event-Id"] for r in hook.received)
    with warehouse.write() as con:
        assert replay(con, T0 + timedelta(hours=1), "ops", merchant_id="M000001", since=T0) == first
        later = T0 + timedelta(days=1)
        assert replay(con, T0 + timedelta(hours=1), "ops", merchant_id="M000001", since=later) == []
    assert deliver(warehouse, T0 + timedelta(hours=1))["delivered"] == 3
    again = sorted(r.headers["Konbini-Event-Id"] for r in hook.received[3:])
    assert again == first


def test_refused_targets_fail_without_a_request(facts, hook, warehouse):
    setup_one(facts, hook)
    # loopback is refused unless the settings allow it (tests only)
    assert deliver_due(warehouse, T0, allow_loopback=False)["failed"] == 1
    assert hook.received == []
    assert "loopback" in facts.con.execute("select last_error from notification_outbox").fetchone()[0]


@pytest.mark.parametrize(
    "url, loopback, ok",
    [
        ("https://merchant.example/hook", False, True),
        ("http://merchant.example/hook", False, False),
        ("http://merchant.example/hook", True, False),
        ("ftp://merchant.example/hook", False, False),
        ("http://127.0.0.1:8080/h", False, False),
        ("http://127.0.0.1:8080/h", True, True),
        ("http://127.9.9.9/h", True, True),
        ("http://[::1]:80/h", True, True),
        ("http://localhost/h", True, True),
        ("https://localhost/h", False, False),
        ("", False, False),
        (None, False, False),
        ("not a url", False, False),
    ],
)
def test_targets(url, loopback, ok):
    from tasks.notify.targets import refusal

    assert (refusal(url, loopback) is None) is ok


def test_a_dead_lettered_event_no_longer_holds_up_its_order(facts, hook, warehouse):
    facts.master(jst(2026, 11, 1), {"M000001": (hook.url("/m1"), SECRET_1)})
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
    paid = jst(2026, 11, 3, 9, 15)
    facts.record("seven", "01", "1000000000001", paid, "0001234", 3980, jst(2026, 11, 3, 10))
    facts.record("seven", "02", "1000000000001", paid, "0001234", 3980, jst(2026, 11, 3, 11))
    assert enqueue_events(facts.con, T0) == 2
    hook.script["/m1"] = [500, 500]
    assert deliver(warehouse, T0) == {"attempted": 1, "delivered": 0, "failed": 1, "dead": 0}
    later = T0 + timedelta(hours=73)
    assert deliver(warehouse, later) == {"attempted": 1, "delivered": 0, "failed": 0, "dead": 1}
    assert deliver(warehouse, later) == {"attempted": 1, "delivered": 1, "failed": 0, "dead": 0}
    assert [b["type"] for b in hook.bodies()] == ["payment.preliminary"] * 2 + ["payment.confirmed"]
