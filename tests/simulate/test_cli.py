"""`konbini simulate` as a user runs it: a real process, the data dir from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _konbini(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "KONBINI_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", "from flows.cli import main; main()", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )


def test_simulate_writes_into_the_data_dir(data_dir):
    r = _konbini("simulate", "--start", "2026-11-02", "--days", "1", "--orders-per-day", "30", "--seed", "5",
                 "--anomaly-rate", "corrupt_file=0.2", "--anomaly-rate", "late_payment=0", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (data_dir / "master").iterdir()) == [
        "fee_plans.csv", "merchants.csv", "sites.csv"]
    assert list((data_dir / "inbox" / "orders").glob("ORDERS_*.csv"))
    assert list((data_dir / "inbox" / "sej").glob("SEJ_01_*.dat"))
    assert "corrupt_file" in r.stdout and "late_payment" in r.stdout


def test_bad_options_are_one_clear_line(data_dir):
    r = _konbini("simulate", "--start", "2026-13-01", "--days", "1", "--orders-per-day", "3", "--seed", "1",
                 "--anomaly-rate", "late_payment=lots", data_dir=data_dir)
    assert r.returncode == 2
    assert "--start '2026-13-01' is not a date" in r.stderr and "Traceback" not in r.stderr
    r = _konbini("simulate", "--start", "2026-11-01", "--days", "1", "--orders-per-day", "3", "--seed", "1",
                 "--anomaly-rate", "late_payment=lots", data_dir=data_dir)
    assert r.returncode == 2
    assert "'lots' is not a number" in r.stderr and "Traceback" not in r.stderr
    assert not (data_dir / "inbox").exists()
