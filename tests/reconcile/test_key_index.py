"""The key index (tasks/reconcile/key_index.py): the incremental run reads its keys' facts only from
their earliest ingestion on, and deletes their derived rows within their due / paid dates — and must
still give a full run's rows, whatever the age of a key's facts."""

from __future__ import annotations

from datetime import date, datetime

from tasks.reconcile import key_index
from tasks.reconcile.run import reconcile

from .conftest import jst, statuses
from .test_rules import table_rows

TABLES = ("payments", "order_status", "exceptions")


def _old_and_new(facts):
    """Keys with facts months apart: an order paid in June and paid again in November, an order
    whose 01 came in June and its 02 only in November, and newer orders around them."""
    f = facts
    f.order("M1", "OLD", "seven", "1000000000001", 1000, date(2026, 6, 20), jst(2026, 6, 1, 10))
    f.order("M1", "LATE02", "seven", "1000000000002", 2000, date(2026, 6, 20), jst(2026, 6, 1, 11))
    june = f.file("SEJ_01", 1, jst(2026, 6, 2, 23))
    f.event(june, "seven", "01", "1000000000001", jst(2026, 6, 2, 9), "1", 1000)
    f.event(june, "seven", "01", "1000000000002", jst(2026, 6, 2, 10), "1", 2000)
    june02 = f.file("SEJ_02", 1, jst(2026, 6, 8, 6))
    f.event(june02, "seven", "02", "1000000000001", jst(2026, 6, 2, 9), "1", 1000)
    f.order("M1", "NOV", "seven", "1000000000003", 3000, date(2026, 11, 9), jst(2026, 11, 2, 10))
    f.order("M1", "EXPIRING", "seven", "1000000000004", 4000, date(2026, 11, 9), jst(2026, 11, 2, 11))
    nov = f.file("SEJ_01", 2, jst(2026, 11, 3, 23))
    f.event(nov, "seven", "01", "1000000000003", jst(2026, 11, 3, 9), "1", 3000)


def test_the_incremental_run_finds_every_fact_of_its_keys_however_old(con, facts):
    _old_and_new(facts)
    first = reconcile(con, jst(2026, 11, 5), incremental=True)
    assert first.scope == "full"
    # the next day: the June order paid again, the June payment's 02 at last, the November one's 02;
    # the EXPIRING order's due date passes
    f = facts.file("SEJ_02", 2, jst(2026, 11, 10, 6))
    facts.event(f, "seven", "02", "1000000000002", jst(2026, 6, 2, 10), "1", 2000)
    facts.event(f, "seven", "02", "1000000000003", jst(2026, 11, 3, 9), "1", 3000)
    g = facts.file("SEJ_01", 3, jst(2026, 11, 10, 23))
    facts.event(g, "seven", "01", "1000000000001", jst(2026, 11, 10, 9), "2", 1000)
    con.execute("create or replace temp table rc_keys as select * from (values"
                " ('seven', '1000000000001'), ('seven', '1000000000002')) t(chain, reference)")
    key_index.catch_up(con, None)
    # the bound comes from the June facts, not from the new files
    assert key_index.bounds(con, "rc_keys") == (datetime(2026, 6, 2, 23), datetime(2026, 6, 1, 10))
    con.execute("drop table rc_keys")
    res = reconcile(con, jst(2026, 11, 11), incremental=True)
    assert res.scope == "incremental" and res.orders == 4  # OLD, LATE02, NOV, EXPIRING
    got = {t: table_rows(con, t) for t in TABLES}
    assert statuses(con) == {("M1", "OLD"): "confirmed", ("M1", "LATE02"): "confirmed",
                             ("M1", "NOV"): "confirmed", ("M1", "EXPIRING"): "expired"}
    assert len(got["payments"]) == 4  # the June order's second payment is a duplicate of its first
    reconcile(con, jst(2026, 11, 11))
    assert {t: table_rows(con, t) for t in TABLES} == got


def test_the_index_holds_every_key_and_its_earliest_fact(con, facts):
    _old_and_new(facts)
    reconcile(con, jst(2026, 11, 5))  # a full run brings the index up to date
    (files,) = con.execute("select max(file_id) from inbound_files").fetchone()
    assert con.execute(f"select max_file_id, as_of from {key_index.STATE}").fetchone() == (
        max(files, con.execute("select max(file_id) from orders").fetchone()[0]), datetime(2026, 11, 5))
    expected = sorted(con.execute(
        "select hash(chain, reference), false, min(ingested_at) from feed_records group by all union all"
        " select hash(chain, payment_reference), true, min(ingested_at) from orders group by all").fetchall())
    assert sorted(con.execute(f"select * from {key_index.INDEX}").fetchall()) == expected


def test_the_index_is_rebuilt_when_duckdb_hashes_otherwise(con, facts):
    _old_and_new(facts)
    reconcile(con, jst(2026, 11, 5))
    built = sorted(con.execute(f"select * from {key_index.INDEX}").fetchall())
    # as if written by a DuckDB whose hash differs: its rows would name no key of this one
    con.execute(f"update {key_index.STATE} set hash_check = hash_check + 1")
    con.execute(f"update {key_index.INDEX} set key_hash = key_hash + 1")
    key_index.catch_up(con, None)
    assert sorted(con.execute(f"select * from {key_index.INDEX}").fetchall()) == built


def test_a_new_file_is_added_once_and_rows_after_the_as_of_again(con, facts):
    _old_and_new(facts)
    reconcile(con, jst(2026, 11, 3))  # the November file (ingested 11-03 23:00) is after this as_of
    rows = con.execute(f"select count(*) from {key_index.INDEX}").fetchone()[0]
    f = facts.file("SEJ_01", 3, jst(2026, 11, 3, 20))
    facts.event(f, "seven", "01", "1000000000004", jst(2026, 11, 3, 19), "1", 4000)
    key_index.catch_up(con, None)
    # the new file's key, and again the key of the rows ingested after the state's as_of (11-03 00:00)
    # in the files it had: the November file's
    added = con.execute(f"select count(*) from {key_index.INDEX}").fetchone()[0] - rows
    assert added == 1 + 1
    assert con.execute(f"select as_of from {key_index.STATE}").fetchone() == (datetime(2026, 11, 3),)
