"""Run modes (flows/runtime.py): without a Prefect API, one-off commands run the flows in their own
process, start no server, and leave the warehouse and files exactly as Prefect flow runs do."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb

from tests.conftest import SAMPLES

REPO = Path(__file__).resolve().parents[2]
KONBINI = str(Path(sys.executable).parent / "konbini")
AS_OF = "2026-11-20T07:00:00+09:00"
REPORTS_AS_OF = "2026-11-20T08:00:00+09:00"
WALL_CLOCK = {"schema_migrations": "applied_at"}  # the only column the wall clock writes


def _direct_env(data_dir: Path) -> dict[str, str]:
    """A shell without PREFECT_API_URL, where Prefect may not start a temporary server either:
    anything that tried to reach Prefect would fail."""
    env = {**os.environ, "KONBINI_DATA_DIR": str(data_dir), "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    for var in ("PREFECT_API_URL", "KONBINI_INBOX", "KONBINI_WAREHOUSE", "KONBINI_CONFIG"):
        env.pop(var, None)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "temporary server" not in done.stderr.lower()
    return done


def warehouse_state(data_dir: Path) -> dict[str, tuple[int, str]]:
    """Every table: row count and a digest of its rows (sorted), the data folder's path masked and
    the wall-clock columns left out."""
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        state = {}
        tables = con.execute("select table_name from duckdb_tables() where schema_name = 'main' "
                             "order by 1").fetchall()
        for (table,) in tables:
            skip = WALL_CLOCK.get(table)
            cols = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where table_name = ? and schema_name = 'main' "
                "order by column_index", [table]).fetchall() if c != skip]
            rows = con.execute(f"select {', '.join(cols)} from {table}").fetchall()
            text = sorted(repr(r).replace(str(data_dir), "<data>") for r in rows)
            state[table] = (len(rows), hashlib.sha256("\n".join(text).encode()).hexdigest())
        return state
    finally:
        con.close()


def files_state(data_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data_dir.rglob("*"))
            if p.is_file() and ".duckdb" not in p.name and ".sqlite" not in p.name}  # databases: state


def test_one_off_commands_leave_the_state_of_prefect_flow_runs(prefect_harness, tmp_path, monkeypatch):
    # One-off, without a Prefect API: the CLI's flow commands and, for the flows without their own
    # command, the flow called from a script, each its own process.
    direct = tmp_path / "direct"
    shutil.copytree(SAMPLES / "inbox", direct / "inbox")
    env = _direct_env(direct)
    py = [sys.executable, "-c"]
    _run([KONBINI, "master", "load", str(SAMPLES / "master"), "--as-of", "2026-11-01T00:00"], env)
    _run(py + [f"from flows.ingest import pull_feeds; pull_feeds(as_of='{AS_OF}')"], env)
    shown = _run([KONBINI, "reconcile", "--as-of", AS_OF], env).stdout
    assert "orders by status" in shown
    _run(py + [f"from flows.settle import settle; settle(as_of='{AS_OF}')"], env)
    shown = _run([KONBINI, "reports", "render", "--as-of", REPORTS_AS_OF], env).stdout
    assert "rendered" in shown

    # The same flows as Prefect flow runs (prefect_test_harness: a real server).
    from flows.ingest import pull_feeds
    from flows.reconcile import reconcile
    from flows.reports import render_reports
    from flows.runtime import orchestrated
    from flows.settle import settle
    from tasks.master import load_master
    from tasks.settings import get_settings
    from tasks.warehouse import open_warehouse

    assert orchestrated()
    prefect_dir = tmp_path / "prefect"
    shutil.copytree(SAMPLES / "inbox", prefect_dir / "inbox")
    monkeypatch.setenv("KONBINI_DATA_DIR", str(prefect_dir))
    master_at = datetime.fromisoformat("2026-11-01T00:00+09:00")
    load_master(open_warehouse(get_settings()), SAMPLES / "master", master_at)
    pull_feeds(as_of=datetime.fromisoformat(AS_OF))
    reconcile(as_of=datetime.fromisoformat(AS_OF))
    settle(as_of=datetime.fromisoformat(AS_OF))
    render_reports(as_of=datetime.fromisoformat(REPORTS_AS_OF))

    state = warehouse_state(direct)
    assert state["payments"][0] > 0 and state["report_outputs"][0] > 0 and state["settlement_runs"][0] == 1
    assert state == warehouse_state(prefect_dir)
    assert files_state(direct) == files_state(prefect_dir)


RETRYING_FLOW = """
import sys
from flows import runtime

attempts = []

@runtime.task(name="count")
def count(n: int) -> int:
    runtime.logger().warning("task sees flow attempt %d", n)
    runtime.table_artifact([{"n": n}], key="count", description="attempts")
    return n

@runtime.flow(name="flaky", retries=1, retry_delay_seconds=0)
def flaky(limit: int) -> int:
    attempts.append(1)
    if len(attempts) < limit:
        raise RuntimeError("first attempt fails")
    return count(len(attempts))

assert not runtime.orchestrated()
print("result", flaky(limit="2"))  # a string, coerced to int as Prefect's validation does
"""


def test_a_flow_without_prefect_api_validates_parameters_retries_and_logs(tmp_path):
    done = _run([sys.executable, "-c", RETRYING_FLOW], _direct_env(tmp_path))
    assert "result 2" in done.stdout
    assert "flaky failed (RuntimeError: first attempt fails); retry 1 of 1" in done.stderr
    assert "konbini.flaky - task sees flow attempt 2" in done.stderr
