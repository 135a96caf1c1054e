"""`konbini notifications list / replay` on a real warehouse and a real HTTP server."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tasks.clock import JST
from tasks.errors import KonbiniError
from tasks.notify.delivery import deliver_due
from tasks.notify.outbox import enqueue_events

SECRET = "cli-" + "d" * 40


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


@pytest.fixture
def delivered(loopback, facts, hook, warehouse):
    urls = {"M000001": (hook.url("/m1"), SECRET), "M000002": (hook.url("/m2"), SECRET)}
    facts.master(jst(2026, 11, 1), urls)
    for m, ref in (("M000001", "1000000000001"), ("M000002", "1000000000002")):
        facts.order(m, f"{m}-1", "seven", ref, 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
        facts.record("seven", "01", ref, jst(2026, 11, 3, 9, 15), "0001234", 3980, jst(2026, 11, 3, 10))
    assert enqueue_events(facts.con, jst(2026, 11, 4)) == 2
    facts.con.close()
    assert deliver_due(warehouse, jst(2026, 11, 4), allow_loopback=True)["delivered"] == 2
    return {r.json["merchant_id"]: r.json["id"] for r in hook.received}


def run(*args):
    return CliRunner().invoke(app, ["notifications", *args], catch_exceptions=True, terminal_width=250)


def test_list_by_merchant_and_state(delivered):
    result = run("list", "--merchant", "M000001")
    assert result.exit_code == 0, result.output
    assert delivered["M000001"] in result.output and delivered["M000002"] not in result.output
    assert "delivered" in result.output
    result = run("list", "--state", "dead")
    assert result.exit_code == 0 and delivered["M000001"] not in result.output
    assert isinstance(run("list", "--state", "lost").exception, KonbiniError)


def test_replay_one_event_resends_it_with_the_same_id(delivered, hook):
    result = run("replay", delivered["M000002"], "--as-of", "2026-11-05T10:00", "--by", "ops-1")
    assert result.exit_code == 0, result.output
    assert "1 delivered" in result.output
    last = hook.received[-1]
    assert len(hook.received) == 3 and last.path == "/m2"
    assert last.headers["Konbini-Event-Id"] == last.json["id"] == delivered["M000002"]


def test_replay_a_merchant_since(delivered, hook):
    result = run("replay", "--merchant", "M000001", "--since", "2026-11-04", "--as-of", "2026-11-05")
    assert result.exit_code == 0, result.output
    assert [r.json["id"] for r in hook.received[2:]] == [delivered["M000001"]]


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope"], "no notification with event id 'nope'"),
        (["--merchant", "M000001"], "needs an EVENT_ID, or both --merchant and --since"),
        (["--merchant", "M000001", "--since", "yesterday"], "--since 'yesterday' is not a date"),
    ],
)
def test_replay_errors_name_what_is_wrong(delivered, args, message):
    result = run("replay", *args)
    assert isinstance(result.exception, KonbiniError)
    assert message in str(result.exception)


def test_replay_without_sending_leaves_it_to_the_schedule(delivered, hook, warehouse):
    result = run("replay", delivered["M000001"], "--no-send", "--as-of", "2026-11-05")
    assert result.exit_code == 0, result.output
    assert len(hook.received) == 2
    pending = run("list", "--state", "pending")
    assert delivered["M000001"] in pending.output and delivered["M000002"] not in pending.output
    assert deliver_due(warehouse, jst(2026, 11, 5), allow_loopback=True)["delivered"] == 1
    assert hook.received[-1].json["id"] == delivered["M000001"]
