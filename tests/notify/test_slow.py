"""One slow merchant server must not stall delivery: one deadline per request (a trickling HTTPS
server on 127.0.0.1), a cap on what is read, per-target bounds, results recorded as they finish."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime

from tasks.clock import JST
from tasks.notify import sender
from tasks.notify.delivery import deliver_due
from tasks.notify.outbox import enqueue_events
from tests.notify.conftest import resolver_of

SECRET = "s1-" + "a" * 40
T0 = datetime(2026, 11, 4, 12, 0, tzinfo=JST)
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def orders(facts, targets: dict[str, tuple[str, int]]) -> None:
    """merchant -> (url, number of orders), one 速報 each."""
    facts.master(datetime(2026, 11, 1, tzinfo=JST), {m: (url, SECRET) for m, (url, _) in targets.items()})
    total = 0
    for m, (_, n) in targets.items():
        for i in range(n):
            ref = f"{m[-1]}{i:012d}"
            facts.order(m, f"O-{i}", "seven", ref, 1000 + i, date(2026, 11, 9),
                        datetime(2026, 11, 2, 10, tzinfo=JST))
            facts.record("seven", "01", ref, datetime(2026, 11, 3, 9, i, tzinfo=JST), "0001234", 1000 + i,
                         datetime(2026, 11, 3, 10, tzinfo=JST))
            total += 1
    assert enqueue_events(facts.con, T0) == total


def test_a_trickling_https_server_gets_one_deadline_for_the_whole_answer(facts, warehouse, tls, raw_servers):
    # the status line one byte every 0.3 s: each read comes in time, the whole answer takes ~15 s
    server = raw_servers(tls[0], OK, delay=0.3, chunk=1)
    orders(facts, {"M000001": (f"https://hook.test:{server.port}/m1", 1)})
    started = time.monotonic()
    summary = deliver_due(warehouse, T0, allow_loopback=True, verify=tls[1], timeout_s=1.5,
                          resolver=resolver_of({"hook.test": ["127.0.0.1"]}))
    took = time.monotonic() - started
    assert summary["failed"] == 1 and len(server.heads) == 1
    status, latency, error = facts.con.execute(
        "select status_code, latency_ms, error from notification_attempts").fetchone()
    assert error == "no complete answer within 1.5 s" and status is None
    assert 1400 <= latency < 3000 and took < 6


def test_an_endless_answer_is_read_up_to_the_cap(facts, warehouse, raw_servers):
    endless = b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n" + b"x" * (4 * sender.MAX_RESPONSE_BYTES)
    server = raw_servers(None, endless)  # keeps the connection open after what it sent
    orders(facts, {"M000001": (f"http://127.0.0.1:{server.port}/m1", 1)})
    started = time.monotonic()
    assert deliver_due(warehouse, T0, allow_loopback=True, timeout_s=5)["delivered"] == 1
    assert time.monotonic() - started < 4  # not waiting for the rest of the 100 MB


def test_one_slow_target_holds_neither_the_others_nor_the_run(facts, warehouse, hook, raw_servers):
    slow = raw_servers(None, OK, delay=0.5, chunk=1)  # never completes within the deadline
    hook.default = 200
    orders(facts, {"M000001": (f"http://127.0.0.1:{slow.port}/slow", 12),
                   "M000002": (hook.url("/fast"), 12)})
    outcome: dict = {}
    seen_while_running: list[int] = []
    run = threading.Thread(target=lambda: outcome.update(deliver_due(
        warehouse, T0, allow_loopback=True, timeout_s=3.0, concurrency=8)))
    started = time.monotonic()
    run.start()
    while run.is_alive():
        (n,) = facts.con.execute("select count(*) from notification_outbox where merchant_id = 'M000002'"
                                 " and state = 'delivered'").fetchone()
        seen_while_running.append(n)
        time.sleep(0.1)
    took = time.monotonic() - started
    # the fast merchant's results were recorded while the slow one was still being waited for
    assert 12 in seen_while_running[:-1]
    assert outcome == {"attempted": 24, "delivered": 12, "failed": 12, "dead": 0}
    # at most PER_TARGET requests went to the slow server; its other orders were not sent this run
    assert 1 <= slow.connections <= sender.PER_TARGET
    errors = facts.con.execute(
        "select error, count(*) from notification_attempts a join notification_outbox o using (event_id)"
        " where o.merchant_id = 'M000001' group by error order by error").fetchall()
    assert errors == [("no complete answer within 3 s", slow.connections),
                      ("not sent: 127.0.0.1 ran out of time on another request of this run",
                       12 - slow.connections)]
    assert took < 3.0 + 5  # one deadline, not one per order (12 × 3 s)


def test_a_run_stops_starting_requests_after_its_budget(facts, warehouse, raw_servers):
    answer = b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    slow = raw_servers(None, answer, delay=0.01, chunk=1)  # ~0.6 s per answer
    orders(facts, {"M000001": (f"http://127.0.0.1:{slow.port}/slow", 20)})
    summary = deliver_due(warehouse, T0, allow_loopback=True, timeout_s=5, concurrency=4,
                          budget_s=1.0)
    assert 0 < summary["attempted"] < 20
    # what was not started is due again at once (no attempt, no backoff), for the next run
    (due_now,) = facts.con.execute(
        "select count(*) from notification_outbox where state = 'pending' and attempts = 0"
        " and next_attempt_at = ?", [T0.replace(tzinfo=None)]).fetchone()
    assert due_now == 20 - summary["attempted"]


def test_many_servers_at_once_are_all_delivered(facts, warehouse, hook):
    """Ten merchants, each its own host (resolved to 127.0.0.1 by the hook), all in one run."""
    port = hook.server.server_address[1]
    orders(facts, {f"M00000{i}": (f"http://m{i}.localhost:{port}/m{i}", 6) for i in range(10)})
    hosts = {f"m{i}.localhost": ["127.0.0.1"] for i in range(10)}
    summary = deliver_due(warehouse, T0, allow_loopback=True, timeout_s=10, concurrency=32,
                          resolver=lambda host, _: hosts[host])
    assert summary == {"attempted": 60, "delivered": 60, "failed": 0, "dead": 0}
    assert {r.headers["Host"] for r in hook.received} == {f"m{i}.localhost:{port}" for i in range(10)}
