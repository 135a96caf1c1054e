"""The verification recipe of docs/webhooks.md, run as written against real deliveries."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from tasks.clock import JST
from tasks.notify import signing
from tasks.notify.delivery import deliver_due
from tasks.notify.outbox import enqueue_events

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
SECRET = "doc-" + "f" * 40


def recipe(secret: str):
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    namespace: dict = {}
    exec(code.replace('b"your notify_secret"', repr(secret.encode())), namespace)  # noqa: S102
    return namespace["check"]


def test_the_documented_check_accepts_ours_and_rejects_the_rest(facts, hook, warehouse):
    facts.master(datetime(2026, 11, 1, tzinfo=JST), {"M000001": (hook.url("/m1"), SECRET)})
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9),
                datetime(2026, 11, 2, 10, tzinfo=JST))
    facts.record("seven", "01", "1000000000001", datetime(2026, 11, 3, 9, 15, tzinfo=JST), "0001234", 3980,
                 datetime(2026, 11, 3, 10, tzinfo=JST))
    now = datetime.now(JST)  # the recipe checks freshness against the wall clock
    assert enqueue_events(facts.con, now) == 1
    deliver_due(warehouse, now, allow_loopback=True)
    with facts.con.cursor() as c:
        (event_id,) = c.execute("select event_id from notification_outbox").fetchone()
        c.execute("begin")
        from tasks.notify.outbox import replay

        replay(c, now + timedelta(seconds=1), "test", event_id=event_id)
        c.execute("commit")
    deliver_due(warehouse, now + timedelta(seconds=1), allow_loopback=True)
    first, again = hook.received
    seen: set[str] = set()
    check = recipe(SECRET)
    assert check(first.headers, first.body, seen) == "process"
    assert check(again.headers, again.body, seen) == "duplicate"  # a replay: same id
    assert recipe("another merchant's secret " + "x" * 20)(first.headers, first.body, set()) == "reject"
    assert check(first.headers, first.body.replace(b"3980", b"9999"), set()) == "reject"
    # correctly signed, but more than 5 minutes old: rejected for its age alone
    old = int(time.time()) - 301
    stale = dict(first.headers, **{"Konbini-Timestamp": str(old),
                                   "Konbini-Signature": signing.signature(SECRET, old, first.body)})
    assert check(stale, first.body, set()) == "reject"
    fresh = dict(stale, **{"Konbini-Timestamp": str(old + 60),
                           "Konbini-Signature": signing.signature(SECRET, old + 60, first.body)})
    assert check(fresh, first.body, set()) == "process"
