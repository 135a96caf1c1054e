"""`konbini ingest`, `konbini files`, `konbini sequences` over the sample inbox."""

import shutil

from typer.testing import CliRunner

from flows.cli import app
from tasks.errors import KonbiniError
from tests.feeds.conftest import SAMPLES

runner = CliRunner(env={"COLUMNS": "200"})


def test_ingest_pulls_orders_and_feeds_then_files_lists_them(data_dir, sample_inbox, sample_master):
    assert runner.invoke(app, ["master", "load", str(sample_master), "--as-of", "2026-11-01"]).exit_code == 0
    r = runner.invoke(app, ["ingest", "--as-of", "2026-11-20"])
    assert r.exit_code == 0, r.output
    assert "7 file(s)" in r.output and "ORDERS_20261102100500_000001.csv" in r.output
    assert "quarantined" not in r.output
    bad = data_dir / "bad_inbox"
    shutil.copytree(SAMPLES / "bad", bad)
    r = runner.invoke(app, ["ingest", str(bad), "--as-of", "2026-11-20T10:00"])
    assert r.exit_code == 1 and "trailer total is 3981" in r.output
    r = runner.invoke(app, ["files", "--state", "quarantined"])
    assert r.exit_code == 0
    assert "3 file(s) quarantined" in r.output and "check digit is wrong" in r.output
    assert "not a multiple of 128" in r.output
    r = runner.invoke(app, ["files", "--kind", "CVS"])
    assert "CVS_20261109062000_000002.csv" in r.output and "3 file(s)" in r.output
    r = runner.invoke(app, ["sequences", "--as-of", "2026-11-20T12:00"])
    assert r.exit_code == 0 and "open gaps as of 2026-11-20 12:00 JST: 0" in r.output


def test_errors_a_user_can_cause_are_konbini_errors(data_dir):
    r = runner.invoke(app, ["ingest", str(data_dir / "missing")])
    assert isinstance(r.exception, KonbiniError) and "does not exist" in str(r.exception)
    r = runner.invoke(app, ["files", "--state", "lost"])
    assert isinstance(r.exception, KonbiniError) and "--state" in str(r.exception)
    r = runner.invoke(app, ["ingest", "--as-of", "yesterday"])
    assert isinstance(r.exception, KonbiniError)
