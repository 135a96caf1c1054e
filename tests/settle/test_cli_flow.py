"""`konbini calendar / settle / clawback` in process, and the daily flow as a real Prefect run."""

from __future__ import annotations

from datetime import datetime

from typer.testing import CliRunner

from flows.cli import app
from tasks.clock import JST


def run(*args):
    return CliRunner().invoke(app, list(args), catch_exceptions=True, terminal_width=250)


def test_calendar_by_cycle_and_by_merchant(book):
    r = run("calendar", "--cycle", "6", "--month", "2026-12")
    assert r.exit_code == 0, r.output
    assert "2026-12-26 .. 2026-12-31" in r.output and "2027-01-12 (Tue)" in r.output
    assert "2027-01-06 23:59:59" in r.output and "2027-01-10 (Sun)" in r.output
    r = run("calendar", "--merchant", "M000003", "--month", "2026-11")
    assert r.exit_code == 0 and "2026-11-16 (Mon)" in r.output and "M000003" in r.output
    bad = run("calendar", "--merchant", "M999999", "--month", "2026-11")
    assert bad.exit_code != 0 and "M999999: not in the current master" in str(bad.exception)
    assert "is not a month" in str(run("calendar", "--cycle", "1", "--month", "11/2026").exception)


def test_settle_draft_then_finalize_then_clawback(book, settings):
    pid = book.payment("M000003", "daily", 50000, "2026-11-04", datetime(2026, 11, 9, 6), stamp=True)
    draft = run("settle", "--as-of", "2026-11-12T07:00")
    assert draft.exit_code == 0, draft.output
    assert "M000003-20261101" in draft.output and "draft" in draft.output and "new 1" in draft.output
    final = run("settle", "--as-of", "2026-11-12T08:00", "--finalize", "--by", "tester")
    assert final.exit_code == 0, final.output
    assert "finalized" in final.output and "ZENGIN_20261116.txt" in final.output
    assert book.sql("select finalized_by from settlement_finalizations") == [("tester",)]
    cb = run("clawback", pid, "--note", "voided after settlement", "--as-of", "2026-11-13T09:00")
    assert cb.exit_code == 0 and "claw-back ADJ" in cb.output
    assert "--as-of 'yesterday'" in str(run("settle", "--as-of", "yesterday").exception)


def test_settle_with_nothing_past_its_cutoff_says_so_and_names_the_next_one(book):
    book.payment("M000003", "daily", 50000, "2026-11-04", datetime(2026, 11, 9, 6), stamp=True)
    r = run("settle", "--as-of", "2026-11-11T07:00", "--finalize")
    assert r.exit_code == 0, r.output
    assert "nothing past its cut-off as of 2026-11-11 07:00: no settlement to compute" in r.output
    assert "next cut-off 2026-11-11 23:59:59 JST (payout 2026-11-16)" in r.output
    assert "M000003-" not in r.output  # no empty table of statements
    # a preview of a later payout date is a draft: nothing to finalize, and the next cut-off named
    p = run("settle", "--as-of", "2026-11-11T07:00", "--payout-date", "2026-11-16", "--finalize")
    assert p.exit_code == 0, p.output
    assert "M000003-20261101" in p.output and "draft" in p.output
    assert "nothing to finalize" in p.output and "next cut-off 2026-11-11 23:59:59 JST" in p.output


def test_settle_exits_non_zero_when_its_check_fails(book):
    book.payment("M000003", "daily", 8000, "2026-11-04", datetime(2026, 11, 9, 6), settleable=False)
    r = run("settle", "--as-of", "2026-11-12T07:00", "--finalize")
    assert r.exit_code == 1
    assert "check failed" in r.output and "nothing was finalized" in r.output


def test_daily_flow_finalizes_on_its_first_run_after_the_cutoff(prefect_harness, book, settings):
    from flows.settle import settle as settle_flow

    book.payment("M000003", "daily", 50000, "2026-11-04", datetime(2026, 11, 9, 6), stamp=True)
    before = settle_flow(as_of=datetime(2026, 11, 11, 7, tzinfo=JST))
    assert before["settlements"] == 0 and before["finalized"] == []
    after = settle_flow(as_of=datetime(2026, 11, 12, 7, tzinfo=JST))
    assert after["finalized"] == ["M000003-20261101"] and after["payout_dates"] == ["2026-11-16"]
    assert (settings.out_dir / "payouts" / "ZENGIN_20261116.txt").exists()
    assert settings.analytics_path.exists()
    again = settle_flow(as_of=datetime(2026, 11, 13, 7, tzinfo=JST))
    assert again["settlements"] == 0 and again["finalized"] == []
