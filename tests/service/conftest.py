"""Fixtures of the service tests: a real Prefect server on 127.0.0.1 and subprocess helpers."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest

from bench.scaling.cluster import free_port, stop  # shared with the Prefect-on-PostgreSQL test

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
KONBINI = str(VENV_BIN / "konbini")


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """`prefect server start` on a free port with its own PREFECT_HOME; yields the API URL."""
    home = tmp_path_factory.mktemp("prefect_home")
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",  # create scheduled runs promptly
    }
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "wb")
    proc = subprocess.Popen(
        [str(VENV_BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"prefect server did not start: {(home / 'server.log').read_text()[-2000:]}")
        time.sleep(0.3)
    try:
        yield url
    finally:
        stop(proc)
        log.close()


def lock_holders(lock_path: Path) -> set[int]:
    """PIDs holding a flock on this file now, read from /proc/locks (no lock taken to look)."""
    try:
        inode = lock_path.stat().st_ino
    except FileNotFoundError:
        return set()
    holders = set()
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 00:2e:5678 0 EOF" (blocked waiters are marked "->")
        if len(parts) >= 6 and parts[1] == "FLOCK" and int(parts[5].rsplit(":", 1)[1]) == inode:
            holders.add(int(parts[4]))
    return holders


WALL_CLOCK = {"schema_migrations": ["applied_at"]}  # the only wall-clock columns (docs/operations.md)


def _tree(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


def snapshot(data: Path) -> dict[str, object]:
    """Every row of every table of the warehouse in `data` (wall-clock columns left out), and the
    files under out/ and inbox/ by content: what two runs must agree on."""
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'main' and table_type = 'BASE TABLE' order by 1").fetchall()]
        snap: dict[str, object] = {}
        for t in tables:
            cols = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_name = ? "
                "order by ordinal_position", [t]).fetchall() if c not in WALL_CLOCK.get(t, [])]
            snap[t] = con.execute(f"select {', '.join(cols)} from {t} order by all").fetchall()
    finally:
        con.close()
    snap["files: out/"] = _tree(data / "out")
    snap["files: inbox/"] = _tree(data / "inbox")
    return snap


@pytest.fixture
def data_snapshot():
    return snapshot


@pytest.fixture
def warehouse_lock_holders():
    return lock_holders


@pytest.fixture
def spawn(tmp_path):
    """Start a subprocess in its own process group, logged to a file; stopped at teardown."""
    procs: list[subprocess.Popen] = []

    def _spawn(args: list[str], env: dict[str, str], name: str = "proc") -> subprocess.Popen:
        log = open(tmp_path / f"{name}.{len(procs)}.log", "wb")
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        proc.log_path = Path(log.name)  # type: ignore[attr-defined]
        log.close()
        procs.append(proc)
        return proc

    yield _spawn
    for proc in procs:
        stop(proc)


@pytest.fixture
def service_env(data_dir, prefect_server, tmp_path) -> dict[str, str]:
    """Environment for konbini subprocesses: this test's data dir, the real Prefect server."""
    env = {
        **os.environ,
        "KONBINI_DATA_DIR": str(data_dir),
        "PREFECT_API_URL": prefect_server,
        "PREFECT_HOME": str(tmp_path / "prefect_client"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    for var in ("KONBINI_INBOX", "KONBINI_WAREHOUSE", "KONBINI_CONFIG"):
        env.pop(var, None)
    return env
