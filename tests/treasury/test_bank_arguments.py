"""Bad arguments of what the treasury added to commands: one line naming it, exit 2, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "KONBINI_DATA_DIR": str(data_dir)}
    cli = [sys.executable, "-c", "from flows.cli import main; main()"]
    return subprocess.run([*cli, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)


def test_simulate_refuses_remittance_rates_over_one(tmp_path):
    out = tmp_path / "sim"
    r = run(["simulate", "--start", "2026-10-01", "--days", "1", "--orders-per-day", "1", "--seed", "1",
             "--out", str(out), "--anomaly-rate", "short_remittance=0.6", "--anomaly-rate",
             "late_remittance=0.6"], tmp_path / "data")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "remittance anomalies" in lines[0] and "add up to 1.2" in lines[0], lines
    assert "Traceback" not in r.stderr and not out.exists()


def test_simulate_refuses_an_unknown_remitter_rate_out_of_range(tmp_path):
    r = run(["simulate", "--start", "2026-10-01", "--days", "1", "--orders-per-day", "1", "--seed", "1",
             "--out", str(tmp_path / "sim"), "--anomaly-rate", "unknown_remitter=2"], tmp_path / "data")
    assert r.returncode == 2 and "anomaly unknown_remitter: rate must be a number from 0 to 1" in r.stderr
    assert not (tmp_path / "sim").exists()
