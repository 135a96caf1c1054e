"""One writer: writing flows started at the same time in separate processes take turns on the
warehouse lock and leave exactly what running them one after the other leaves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

KONBINI = str(Path(sys.executable).parent / "konbini")
AS_OF = "2026-11-20T00:00"
HOLD = (
    "import sys, time; from pathlib import Path; from tasks.warehouse import Warehouse\n"
    "with Warehouse(sys.argv[1]).write():\n"
    "    Path(sys.argv[2]).touch()\n"
    "    while not Path(sys.argv[3]).exists(): time.sleep(0.01)\n"
)


def _konbini(args: list[str], env: dict[str, str], data: Path) -> subprocess.Popen:
    return subprocess.Popen([KONBINI, *args], env=env, cwd=data.parent, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _ok(proc: subprocess.Popen) -> None:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and "Traceback" not in err, (proc.args, out, err)


def _waits_on(pid: int, lock: Path) -> bool:
    """The process has the lock file open (it is in Warehouse._lock, polling for its turn)."""
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd_dir / fd) == str(lock) for fd in os.listdir(fd_dir))
    except (FileNotFoundError, ProcessLookupError):
        return False


def _at_once(args: list[str], env, data: Path, holders) -> set[int]:
    """Start two processes of `args` while a third holds the warehouse lock; release it once both
    wait for it; sample who holds the lock until both are done (never two at once). Returns the
    pids seen holding it."""
    lock = data / "warehouse.duckdb.lock"
    held, release = data.parent / "held", data.parent / "release"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(data / "warehouse.duckdb"), str(held),
                               str(release)], env=env)
    deadline = time.monotonic() + 60
    while not held.exists():
        assert holder.poll() is None and time.monotonic() < deadline, "the holder did not lock"
        time.sleep(0.01)
    procs = [_konbini(args, env, data) for _ in range(2)]
    deadline = time.monotonic() + 180
    while not all(_waits_on(p.pid, lock) for p in procs):
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        assert time.monotonic() < deadline, "the two processes never waited for the lock"
        time.sleep(0.01)
    release.touch()
    holder.wait(timeout=30)
    seen: set[int] = set()
    while any(p.poll() is None for p in procs):
        now_holding = holders(lock)
        assert len(now_holding) <= 1, now_holding
        seen |= now_holding
        time.sleep(0.002)
    for p in procs:
        _ok(p)
    held.unlink()
    release.unlink()
    return seen


def test_two_writing_flows_at_once_take_turns_and_leave_the_sequential_result(
    tmp_path, service_env, sample_master, warehouse_lock_holders, data_snapshot
):
    inbox = sample_master.parent / "inbox"
    seq, par = tmp_path / "sequential" / "data", tmp_path / "parallel" / "data"
    env = {**service_env, "KONBINI_DATA_DIR": "data"}  # same relative paths in both folders
    for data in (seq, par):
        data.mkdir(parents=True)
        shutil.copytree(inbox, data / "inbox")
        _ok(_konbini(["master", "load", str(sample_master), "--as-of", "2026-11-01"], env, data))

    steps = [["ingest", "--as-of", AS_OF], ["reconcile", "--as-of", AS_OF]]
    for args in steps:
        for _ in range(2):
            _ok(_konbini(args, env, seq))

    for args in steps:
        # Both waited at once; then each had its turn, never both together.
        assert len(_at_once(args, env, par, warehouse_lock_holders)) == 2, args

    expected, got = data_snapshot(seq), data_snapshot(par)
    assert expected.keys() == got.keys()
    for key in expected:
        assert got[key] == expected[key], key
    states = [(row[2], row[10]) for row in got["inbound_files"]]  # (name, state)
    assert len(states) == 7 and {s for _, s in states} == {"accepted"}  # each sample file once
