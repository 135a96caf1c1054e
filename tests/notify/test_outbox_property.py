"""Whatever the arrival order and however often the reconciliation runs in between, the same facts give
the same events (same ids), each once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.clock import JST
from tasks.notify.outbox import enqueue_events
from tasks.warehouse import migrate

from .conftest import Facts

PAID = [datetime(2026, 11, 3, 9, 15, tzinfo=JST), datetime(2026, 11, 3, 20, 40, tzinfo=JST)]
# (order index, payment index, kind): two orders (one of another chain's reference space), two payments
RECORDS = [(o, p, k) for o in range(2) for p in range(2) for k in ("01", "02", "03")]


def _events(steps: list[tuple[tuple[int, int, str], bool]]) -> set[tuple[str, str]]:
    con = duckdb.connect()
    migrate(con)
    facts = Facts(con)
    facts.master(datetime(2026, 11, 1, tzinfo=JST), {"M000001": ("https://m.example/h", "x" * 32)})
    for o in range(2):
        facts.order("M000001", f"A-{o}", "seven", f"100000000000{o}", 1000, date(2026, 11, 9),
                    datetime(2026, 11, 2, 10, tzinfo=JST))
    t = datetime(2026, 11, 3, 21, tzinfo=JST)
    for i, ((o, p, kind), run_now) in enumerate(steps):
        at = t + timedelta(minutes=10 * i)
        facts.record("seven", kind, f"100000000000{o}", PAID[p], "0001234", 1000, at)
        if run_now:
            enqueue_events(con, at)
    enqueue_events(con, t + timedelta(days=1))
    enqueue_events(con, t + timedelta(days=1))  # reprocessing adds nothing
    rows = con.execute("select event_id, type from notification_outbox").fetchall()
    con.close()
    assert len(rows) == len(set(rows))
    return set(rows)


@pytest.fixture(scope="module")
def all_at_once() -> set[tuple[str, str]]:
    events = _events([(r, False) for r in RECORDS])
    assert len(events) == len(RECORDS)  # one event per fact
    return events


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations(RECORDS), st.lists(st.booleans(), min_size=len(RECORDS), max_size=len(RECORDS)))
def test_arrival_order_and_runs_do_not_change_the_events(all_at_once, order, runs):
    assert _events(list(zip(order, runs, strict=True))) == all_at_once
