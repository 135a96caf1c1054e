"""Crash safety: SIGKILL ingest, reconciliation, settlement and report rendering at random
moments, rerun, compare.

Two data folders get the same simulated inbox and master. The crashed one runs each step
(`konbini master load`, `ingest`, `reconcile`, `settle --finalize`, `reports render`, fixed
--as-of), kills it with SIGKILL a random time after it took the warehouse lock (so the kill lands
in the middle of its work, not in Python's start-up), does that again, then reruns the step to
completion. The reference one runs each step uninterrupted.

Runs are logged (`source_attempts`, `reconcile_runs`, `settlement_runs`): a killed run that had
already committed its run is a run that happened, and its rerun is a second one. So whenever a
killed run left a logged run behind, the reference runs that step once more, uninterrupted, too:
both folders then have the same history of completed runs and must be identical. Compared: every
row of every table, and the files written (payout files, statements and other reports as PDF and
CSV, order rejection reports, what is left in and moved aside in the inbox). Excluded, and only
this: `schema_migrations.applied_at`, the wall-clock time a migration was applied.
Notification delivery is left out on purpose: it is at-least-once by design (a run killed after a
POST and before recording it sends that event again, with the same event id).
The random seed is printed on failure; set KONBINI_CRASH_SEED to replay it, KONBINI_CRASH_KILLS
for more kills per step (default 2).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

KONBINI = str(Path(sys.executable).parent / "konbini")
AS_OF = "2026-11-20T07:00"
RUN_LOG = {"ingest": "source_attempts", "reconcile": "reconcile_runs", "settle": "settlement_runs"}


def _steps(master: Path) -> list[tuple[str, list[str], bool]]:
    """(name, konbini arguments, killed?) in pipeline order."""
    return [
        ("master", ["master", "load", str(master), "--as-of", "2026-10-01"], False),
        ("ingest", ["ingest", "--as-of", AS_OF], True),
        ("reconcile", ["reconcile", "--as-of", AS_OF], True),
        ("settle", ["settle", "--as-of", AS_OF, "--finalize", "--by", "crash-test"], True),
        ("reports", ["reports", "render", "--as-of", AS_OF], True),
    ]


def _env(base: dict[str, str]) -> dict[str, str]:
    # Relative, run from each folder's parent: paths recorded in the warehouse (e.g. the inbox's
    # label) are then the same in both folders.
    return {**base, "KONBINI_DATA_DIR": "data"}


def _run(args: list[str], env: dict[str, str], data: Path, holders=None) -> float:
    """Run a step to completion; returns the seconds from its first taking the warehouse lock to
    its exit (its working time: where a kill is worth aiming), when `holders` is given."""
    proc = subprocess.Popen([KONBINI, *args], env=env, cwd=data.parent, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    locked_at = None
    while holders and proc.poll() is None and locked_at is None:
        if proc.pid in holders(data / "warehouse.duckdb.lock"):
            locked_at = time.monotonic()
        time.sleep(0.005)
    out, err = proc.communicate(timeout=300)
    # ingest exits 1 when it quarantined a file (the simulation delivers one broken file).
    assert proc.returncode in (0, 1) and "Traceback" not in err, (args, out, err)
    return time.monotonic() - locked_at if locked_at else 0.0


def _killed_run(args, env, data: Path, rng: random.Random, window: float, holders) -> str:
    """Start a step, SIGKILL it a random time after it first holds the lock; what happened."""
    lock = data / "warehouse.duckdb.lock"
    proc = subprocess.Popen([KONBINI, *args], env=env, cwd=data.parent, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while proc.pid not in holders(lock):
        if proc.poll() is not None:
            return "finished before taking the lock"
        assert time.monotonic() < deadline, f"{args} never took the warehouse lock"
        time.sleep(0.005)
    delay = rng.uniform(0, window)
    time.sleep(delay)
    if proc.poll() is not None:
        return f"finished within {delay:.2f} s"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return f"killed {delay:.2f} s after locking"


def _runs_logged(data: Path, step: str) -> int:
    path = data / "warehouse.duckdb"
    if step not in RUN_LOG or not path.exists():
        return 0
    con = duckdb.connect(str(path), read_only=True)
    try:
        exists = con.execute("select count(*) from information_schema.tables where table_name = ?",
                             [RUN_LOG[step]]).fetchone()[0]
        return con.execute(f"select count(*) from {RUN_LOG[step]}").fetchone()[0] if exists else 0
    finally:
        con.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_then_rerun_gives_the_uninterrupted_result(
    tmp_path, service_env, warehouse_lock_holders, data_snapshot
):
    from tasks.simulate.run import simulate

    seed = int(os.environ.get("KONBINI_CRASH_SEED", random.SystemRandom().randrange(10**6)))
    rng = random.Random(seed)
    sim = simulate(tmp_path / "sim", date(2026, 10, 1), 3, 15, seed=7, merchants=3)
    ref, crash = tmp_path / "reference" / "data", tmp_path / "crashed" / "data"
    for d in (ref, crash):
        d.mkdir(parents=True)
        shutil.copytree(sim.inbox, d / "inbox")

    story = [f"seed {seed}"]
    for name, args, killed in _steps(sim.master):
        env = _env(service_env)
        window = _run(args, env, ref, warehouse_lock_holders)
        if killed:
            for _ in range(int(os.environ.get("KONBINI_CRASH_KILLS", "2"))):
                before = _runs_logged(crash, name)
                what = _killed_run(args, env, crash, rng, window, warehouse_lock_holders)
                logged = _runs_logged(crash, name) - before
                story.append(f"{name}: {what}" + (f", {logged} run logged" if logged else ""))
                for _ in range(logged):
                    _run(args, env, ref)
        _run(args, env, crash)

    print("\n".join(story))
    expected, got = data_snapshot(ref), data_snapshot(crash)
    assert expected.keys() == got.keys(), story
    for key in expected:
        assert got[key] == expected[key], (key, story)
