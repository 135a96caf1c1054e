"""The present only moves forward (issue 12): a reconciliation as of a time earlier than the latest
one is answered read-only and replaces nothing, a resolution dated before it is refused, and no run
hides what committed before it."""

from __future__ import annotations

import threading
import time

import pytest

from tasks import clock
from tasks.errors import KonbiniError
from tasks.reconcile.resolutions import resolve
from tasks.reconcile.run import reconcile

from .conftest import jst, load_sample_facts

DERIVED = ("payments", "order_status", "exceptions", "reconcile_runs", "notification_outbox")


def snapshot(con) -> dict[str, list]:
    return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in DERIVED}


def duplicate_of_a_1005(con) -> str:
    (eid,) = con.execute("select exception_id from exceptions where code = 'DUPLICATE_PAYMENT'"
                         " and order_id = 'A-1005'").fetchone()
    return eid


def test_an_earlier_as_of_is_answered_read_only_and_replaces_nothing(con, facts):
    load_sample_facts(facts)
    then = reconcile(con, jst(2026, 11, 5))
    reconcile(con, jst(2026, 11, 20, 7))
    before = snapshot(con)
    long_ago = reconcile(con, jst(2025, 6, 1))
    assert (long_ago.run_id, long_ago.scope, long_ago.orders) == (0, "read-only", 0)
    assert long_ago.open_exceptions == 0
    again = reconcile(con, jst(2026, 11, 5))  # what we knew then, as the run of that time said
    assert (again.scope, again.notifications) == ("read-only", 0)
    assert (again.status_counts, again.open_by_code) == (then.status_counts, then.open_by_code)
    for kwargs in ({"merchant": "M000001"}, {"incremental": True},
                   {"since": jst(2025, 5, 1), "until": jst(2025, 6, 1)}):
        assert reconcile(con, jst(2025, 6, 1), **kwargs).scope == "read-only"
    assert snapshot(con) == before
    # the same time again, or a later one, is the present: stored
    assert reconcile(con, jst(2026, 11, 20, 7)).run_id == 3
    assert reconcile(con, jst(2026, 11, 20, 8), merchant="M000002").run_id == 4
    assert reconcile(con, jst(2026, 11, 20, 7, 30)).scope == "read-only"  # a scoped run moves it too


def test_a_resolution_cannot_be_backdated_behind_the_present(con, facts):
    load_sample_facts(facts)
    reconcile(con, jst(2026, 11, 20, 9))
    eid = duplicate_of_a_1005(con)
    with pytest.raises(KonbiniError, match=f"resolution of {eid} as of 2026-11-20 08:00:00 refused"):
        resolve(con, eid, "refund", "paid twice", "ops", jst(2026, 11, 20, 8))
    assert con.execute("select count(*) from exception_resolutions").fetchone() == (0,)


def test_a_run_as_of_before_a_resolution_replaces_nothing_and_never_shows_it_open(con, facts):
    """The issue's case: a resolution at 07:20, then a full run as of 07:15."""
    load_sample_facts(facts)
    reconcile(con, jst(2026, 11, 20, 7))
    eid = duplicate_of_a_1005(con)
    resolve(con, eid, "refund", "paid twice", "ops", jst(2026, 11, 20, 7, 20))
    before = snapshot(con)
    assert reconcile(con, jst(2026, 11, 20, 7, 15)).scope == "read-only"
    assert snapshot(con) == before
    reconcile(con, jst(2026, 11, 20, 7, 30))
    sql = "select state, resolution, resolved_by from v_exceptions where id = ?"
    row = con.execute(sql, [eid]).fetchone()
    assert row == ("resolved", "refund", "ops")
    inconsistent = "select count(*) from v_exceptions where resolved_by is not null and state <> 'resolved'"
    assert con.execute(inconsistent).fetchone() == (0,)


def test_the_flow_reads_now_after_waiting_for_the_writer(prefect_harness, warehouse):
    """A scheduled run (no --as-of) that waits for the lock while an operator resolves must see that
    resolution: its "now" is read once it holds the lock, not when the flow started."""
    from flows.reconcile import reconcile as reconcile_flow

    with warehouse.write() as con:
        from .conftest import Facts

        load_sample_facts(Facts(con))
        reconcile(con, jst(2026, 11, 20))
        eid = duplicate_of_a_1005(con)
    holding = threading.Event()
    resolved_at = []

    def operator() -> None:
        with warehouse.write() as con:
            holding.set()
            time.sleep(3)  # the flow starts meanwhile and waits for the lock
            at = clock.now()
            resolve(con, eid, "refund", "paid twice", "ops", at)
            resolved_at.append(clock.naive_jst(at))

    t = threading.Thread(target=operator)
    t.start()
    holding.wait()
    try:
        summary = reconcile_flow(full=True)
    finally:
        t.join()
    assert clock.naive_jst(summary["as_of"]) >= resolved_at[0]
    with warehouse.read() as con:
        row = con.execute("select state, resolved_by from v_exceptions where id = ?", [eid]).fetchone()
    assert row == ("resolved", "ops")
