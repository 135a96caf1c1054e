"""The demo end to end (short plans): every flow runs each morning, reruns give the same counts,
and the outputs are byte for byte those of the golden list.

The golden list `demo_golden.sha256` (sha256sum format, paths relative to the data folder) holds
every file the short plan GOLDEN_PLAN writes: simulated files, the processed inbox, Zengin payout
files, report PDFs and CSVs, rejection reports (not the DuckDB files). After changing an output on
purpose, regenerate it and commit it with the change:

    KONBINI_GOLDEN=update .venv/bin/python -m pytest tests/core/test_demo.py -k golden
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from flows.demo import DemoPlan, run_demo
from tasks.simulate.summary import summary_rows
from tasks.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("demo_golden.sha256")
GOLDEN_PLAN = "DemoPlan(days=5, orders_per_day=12, merchants=3, tail_days=10)"  # payouts, statements


def _tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under root, the databases (DuckDB, the order API's
    SQLite store) left out: they are state, not outputs, and their bytes are not ours to fix."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".duckdb" not in p.name and ".sqlite" not in p.name
    }


def _read_golden() -> dict[str, str]:
    pairs = (line.split("  ", 1) for line in GOLDEN.read_text().splitlines() if line.strip())
    return {path: digest for digest, path in pairs}


def test_demo_twice_gives_the_same_counts_and_outputs(settings):
    plan = DemoPlan(days=3, orders_per_day=15, merchants=2, tail_days=2)
    result = run_demo(plan, settings)
    assert result.last_morning == plan.end and result.ended_at.isoformat() == f"{plan.end}T08:00:00+09:00"
    wh = Warehouse(settings.warehouse_path)
    with wh.read() as con:
        first = summary_rows(con)
        orders = con.execute("select count(*) from orders").fetchone()[0]
        flows = con.execute("select (select count(*) from reconcile_runs), (select count(*) from "
                            "settlement_runs)").fetchone()
    reports = _tree_digest(settings.out_dir)
    assert orders > 0
    assert flows == (plan.mornings, plan.mornings)  # reconcile and settle ran every morning
    assert any(what == "orders registered" for _, what, _ in first)
    assert any(area == "order status" for area, _, _ in first)

    run_demo(plan, settings)
    with wh.read() as con:
        assert summary_rows(con) == first
    assert _tree_digest(settings.out_dir) == reports


def test_demo_outputs_are_byte_identical_to_the_golden_list(data_dir):
    """The short demo as a one-off process without a Prefect server (starting one is forbidden)."""
    env = {**os.environ, "KONBINI_DATA_DIR": str(data_dir), "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.pop("PREFECT_API_URL", None)
    code = f"from flows.demo import DemoPlan, run_demo; run_demo({GOLDEN_PLAN})"
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    actual = _tree_digest(data_dir)
    if os.environ.get("KONBINI_GOLDEN") == "update":
        GOLDEN.write_text("".join(f"{digest}  {path}\n" for path, digest in sorted(actual.items())))
    golden = _read_golden()
    changed = sorted(p for p in golden.keys() & actual.keys() if golden[p] != actual[p])
    missing = sorted(golden.keys() - actual.keys())
    extra = sorted(actual.keys() - golden.keys())
    assert not (changed or missing or extra), (
        f"demo outputs differ from {GOLDEN.name}: changed {changed}, missing {missing}, new {extra}. "
        "If that change is intended, regenerate the list (see this module's docstring)."
    )


def test_demo_command_shows_progress_not_logs_and_names_the_date_it_ended_on(data_dir):
    env = {**os.environ, "KONBINI_DATA_DIR": str(data_dir), "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "COLUMNS": "120"}
    env.pop("PREFECT_API_URL", None)
    konbini = str(Path(sys.executable).parent / "konbini")
    short = ["--days", "2", "--tail-days", "1", "--merchants", "2", "--orders-per-day", "5"]
    done = subprocess.run([konbini, "demo", *short], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "simulated until 2026-10-04 08:00 JST" in done.stdout
    assert "orders registered" in done.stdout and "payout files (Zengin)" in done.stdout
    assert "INFO" not in done.stdout + done.stderr  # no log lines without --verbose

    verbose = subprocess.run([konbini, "demo", "--verbose", *short], env=env, capture_output=True, text=True)
    assert verbose.returncode == 0, verbose.stderr[-3000:]
    assert "demo 2026-10-04: " in verbose.stderr
    assert "reconciled as of 2026-10-04T07:00:00+09:00" in verbose.stderr
    assert "simulated until 2026-10-04 08:00 JST" in verbose.stdout
