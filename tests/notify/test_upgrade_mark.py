"""Migration 0018: a warehouse upgraded from before the enqueue's watermark gets the mark its last
full reconciliation would have left, so its first enqueue looks only at what is new (issue 14.4)."""

from __future__ import annotations

from datetime import date, datetime

from tasks.notify.outbox import enqueue_events
from tasks.warehouse import migrate

from .test_outbox import SECRET, URL, events, jst


def _upgrade_from_before_marks(con, runs: list[tuple[datetime, str, int]]) -> list[tuple]:
    """The warehouse as code before 0007 left it: reconcile_runs (as_of, scope, max_file_id), no
    mark, migration 0018 not applied; then the upgrade. Returns the marks."""
    con.execute("delete from notification_enqueue_marks")
    for n, (as_of, scope, max_file_id) in enumerate(runs, 1):
        con.execute("insert into reconcile_runs values (?, ?, null, null, null, ?, 0, 0, 0, 0, '{}', ?)",
                    [n, as_of, scope, max_file_id])
    con.execute("delete from schema_migrations where version = 18")
    assert migrate(con) == ["0018_notify_seed_mark.sql"]
    return con.execute("select as_of, max_file_id, max_load_id, enqueued from notification_enqueue_marks"
                       " order by as_of").fetchall()


def test_the_upgrade_seeds_the_mark_of_the_last_full_run_and_the_next_enqueue_starts_from_it(facts):
    facts.master(jst(2026, 11, 1), {"M000001": (URL, SECRET)})
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
    facts.order("M000001", "A-2", "seven", "1000000000002", 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
    facts.record("seven", "01", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 3, 10))
    assert enqueue_events(facts.con, jst(2026, 11, 4)) == 1  # what the old code's reconciliation did
    known = facts.file_id
    # a file received after that run, with a fact ingested after its as_of: not covered by the mark
    facts.record("seven", "01", "1000000000002", jst(2026, 11, 4, 9), "0001234", 3980, jst(2026, 11, 4, 10))
    marks = _upgrade_from_before_marks(facts.con, [
        (datetime(2026, 11, 3), "full", 3), (datetime(2026, 11, 4), "incremental", facts.file_id),
        (datetime(2026, 11, 5), "scoped", facts.file_id)])  # a scoped run looked at its keys only
    assert marks == [(datetime(2026, 11, 4), known, 1, 0)]
    # from the mark: the file after it is looked at, one the mark has passed is not (a record put
    # in a passed file on purpose: ingestion never does that, file ids grow in commit order)
    facts.file_id, after = 1, facts.file_id
    facts.record("seven", "02", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 5, 6))
    facts.file_id = after
    assert enqueue_events(facts.con, jst(2026, 11, 6)) == 1  # the 01 of A-2 only
    assert [e[:3] for e in events(facts.con)] == [("payment.preliminary", "M000001", "A-1"),
                                                  ("payment.preliminary", "M000001", "A-2")]


def test_no_mark_is_seeded_without_a_full_run_or_when_there_is_one_already(facts):
    facts.master(jst(2026, 11, 1), {"M000001": (URL, SECRET)})
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
    assert _upgrade_from_before_marks(facts.con, [(datetime(2026, 11, 3), "scoped", 1)]) == []
    enqueue_events(facts.con, jst(2026, 11, 4))  # leaves a mark
    facts.con.execute("delete from schema_migrations where version = 18")
    facts.con.execute("insert into reconcile_runs values (9, '2026-11-05', null, null, null, 'full',"
                      " 0, 0, 0, 0, '{}', 1)")
    migrate(facts.con)
    assert facts.con.execute("select as_of from notification_enqueue_marks").fetchall() == [
        (datetime(2026, 11, 4),)]
