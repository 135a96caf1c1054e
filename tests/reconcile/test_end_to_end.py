"""The sample scenario through the real pull (master, orders and feed files), the flow as a real
Prefect run, and the CLI."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from tasks.reconcile.run import reconcile

from .conftest import SAMPLE_OPEN, SAMPLE_STATUS, jst, open_exceptions, statuses

PULL_AT = jst(2026, 11, 10, 7)


@pytest.fixture
def pulled(warehouse, settings, sample_inbox, sample_master):
    from tasks.ingest import pull
    from tasks.master import load_master

    load_master(warehouse, sample_master, jst(2026, 11, 1))
    outcomes = pull(warehouse, PULL_AT, settings, retry_delays=())
    assert {o.state for o in outcomes} == {"accepted"}
    return warehouse


def test_sample_through_the_real_pull(pulled):
    with pulled.write() as con:
        reconcile(con, jst(2026, 11, 18, 23, 59))
        assert "PRELIM_NOT_CONFIRMED" not in {c for _, _, c in open_exceptions(con)}
        reconcile(con, jst(2026, 11, 20))
        assert statuses(con) == SAMPLE_STATUS
        assert open_exceptions(con) == SAMPLE_OPEN
        assert con.execute("select count(*) from exceptions where state <> 'open'").fetchone() == (0,)
        stamp = con.execute("select count(*) from payments where confirmed_stamp <> expected_stamp"
                            " or prelim_stamp <> expected_stamp").fetchone()
        assert stamp == (0,)


def test_flow_is_a_real_prefect_run_and_publishes(prefect_harness, pulled, settings):
    from prefect.artifacts import Artifact

    from flows.reconcile import reconcile as reconcile_flow

    summary = reconcile_flow(as_of=jst(2026, 11, 20))
    assert summary["scope"] == "full" and summary["open_exceptions"] == len(SAMPLE_OPEN)
    assert summary["status_counts"] == {"confirmed": 8, "expired": 3}
    artifact = Artifact.get("reconcile-summary")
    assert artifact is not None and "| DUPLICATE_PAYMENT | 1 | 0 | 1 |" in artifact.data
    ro = duckdb.connect(str(settings.analytics_path), read_only=True)
    try:
        assert ro.execute("select count(*) from v_open_exceptions").fetchone() == (len(SAMPLE_OPEN),)
        assert ro.execute("select count(*) from v_order_status where status = 'expired'").fetchone() == (3,)
    finally:
        ro.close()
    again = reconcile_flow(as_of=jst(2026, 11, 21))  # the scheduled run: incremental
    assert again["scope"] == "incremental"

    from flows.cli import app
    from tasks.errors import KonbiniError

    runner = CliRunner()
    res = runner.invoke(app, ["reconcile", "--as-of", "2026-11-22", "--merchant", "M000003"])
    assert res.exit_code == 0, res.output
    assert "(scoped): 3 orders" in res.output
    res = runner.invoke(app, ["reconcile", "--as-of", "22 Nov"])
    assert isinstance(res.exception, KonbiniError) and "--as-of '22 Nov'" in str(res.exception)
    res = runner.invoke(app, ["reconcile", "--merchant", "M999999", "--as-of", "2026-11-22"])
    assert isinstance(res.exception, KonbiniError) and "M999999" in str(res.exception)


def test_cli_list_show_resolve_and_refusal(pulled):
    from flows.cli import app

    with pulled.write() as con:
        reconcile(con, jst(2026, 11, 20))
        sql = "select exception_id from exceptions where code = 'DUPLICATE_PAYMENT'"
        (dup,) = con.execute(sql).fetchone()
    runner = CliRunner()
    res = runner.invoke(app, ["exceptions", "list", "--state", "open", "--merchant", "M000001"])
    assert res.exit_code == 0, res.output
    assert dup in res.output and "PAID_AFTER_DUE" in res.output and "29999999999" not in res.output
    res = runner.invoke(app, ["exceptions", "show", dup])
    assert res.exit_code == 0 and "release, refund" in res.output
    res = runner.invoke(app, ["exceptions", "resolve", dup, "--action", "dismiss", "--note", "x"])
    assert res.exit_code != 0 and "holds the payment" in str(res.exception)
    res = runner.invoke(app, ["exceptions", "resolve", dup, "--action", "refund", "--note", "paid twice",
                              "--by", "alice", "--as-of", "2026-11-20T09:00"])
    assert res.exit_code == 0, res.output
    assert "refund by alice" in res.output
    res = runner.invoke(app, ["exceptions", "list", "--state", "resolved"])
    assert dup in res.output


def test_every_example_query_of_the_analyst_guide_runs_on_the_published_copy(pulled, settings):
    import re
    from pathlib import Path

    with pulled.write() as con:
        reconcile(con, jst(2026, 11, 20))
    pulled.publish()
    doc = (Path(__file__).resolve().parents[2] / "docs" / "analyst.md").read_text(encoding="utf-8")
    queries = re.findall(r"```sql\n(.*?)```", doc, flags=re.S)
    assert len(queries) >= 5
    ro = duckdb.connect(str(settings.analytics_path), read_only=True)
    try:
        for q in queries:
            ro.execute(q).fetchall()
        held = ro.execute("select sum(amount) from v_open_exceptions where holds").fetchone()
        assert held == (2000 + 5000 + 1500,)
        cols = {c for (c,) in ro.execute(
            "select column_name from information_schema.columns where table_name like 'v_%'").fetchall()}
        assert not cols & {"customer_name_kana", "customer_phone", "customer_email"}
    finally:
        ro.close()
