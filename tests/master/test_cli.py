"""`konbini master load|show` through the real CLI app."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()
SECRET = "k3J9xQ2mV8pL5tR1wZ7yB4nC6dF0gH2s"


def test_load_then_show_without_secrets(data_dir, sample_master):
    r = runner.invoke(app, ["master", "load", str(sample_master), "--as-of", "2026-11-01"])
    assert r.exit_code == 0, r.output
    assert "master load 1: 3 merchants, 3 sites, 2 fee plans" in r.output
    assert (data_dir / "analytics.duckdb").exists()  # published for analysts
    r = runner.invoke(app, ["master", "load", str(sample_master)])
    assert r.exit_code == 0 and "unchanged" in r.output
    r = runner.invoke(app, ["master", "show"])
    assert r.exit_code == 0, r.output
    assert "M000003" in r.output and "S000002" in r.output and "P2" in r.output
    assert SECRET not in r.output and "1234567" not in r.output  # account shown masked


def test_rejected_set_prints_every_reason_and_exits_2(data_dir, sample_master, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(sample_master, bad)
    m = bad / "merchants.csv"
    m.write_text(
        m.read_text(encoding="utf-8").replace(",0009,123,", ",9900,123,").replace("P1,0001", "P9,0001"),
        encoding="utf-8",
    )
    r = runner.invoke(app, ["master", "load", str(bad)])
    assert r.exit_code == 2
    assert "2 reason(s)" in r.output and "9900" in r.output and "unknown fee plan" in r.output
    r = runner.invoke(app, ["master", "show"])
    assert r.exit_code != 0 and "no master data loaded yet" in str(r.exception or r.output)


def test_missing_folder_is_a_clear_error(data_dir, tmp_path):
    r = runner.invoke(app, ["master", "load", str(tmp_path / "nope")])
    assert r.exit_code != 0
    assert "does not exist" in str(r.exception)


def test_check_loads_nothing(data_dir, sample_master):
    r = runner.invoke(app, ["master", "check", str(sample_master)])
    assert r.exit_code == 0, r.output
    assert "would become master load 1" in r.output
    r = runner.invoke(app, ["master", "show"])
    assert "no master data loaded yet" in str(r.exception)
