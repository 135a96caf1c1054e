"""Readers never break writers, and waiting is never silent (issues 11 and 12): a writing command
waits for an analyst's read-only connection or another writer, saying whom it waits for, then runs."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from tasks.clock import JST
from tasks.master import load_master
from tests.conftest import SAMPLES

KONBINI = str(Path(sys.executable).parent / "konbini")
READ_ONLY = (
    "import sys, time, duckdb; from pathlib import Path\n"
    "con = duckdb.connect(sys.argv[1], read_only=True)\n"
    "Path(sys.argv[2]).touch()\n"
    "while not Path(sys.argv[3]).exists(): time.sleep(0.01)\n"
)
WRITER = (
    "import sys, time; from pathlib import Path; from tasks.warehouse import Warehouse\n"
    "with Warehouse(sys.argv[1]).write():\n"
    "    Path(sys.argv[2]).touch()\n"
    "    while not Path(sys.argv[3]).exists(): time.sleep(0.01)\n"
)


class Stderr:
    """The lines a process writes to stderr, collected as they come."""

    def __init__(self, proc: subprocess.Popen):
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(proc.stderr), daemon=True).start()

    def wait_for(self, text: str, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.lines) < count:
            assert time.monotonic() < deadline, f"never said {text!r} {count}x: {self.lines}"
            time.sleep(0.05)


def _hold(script: str, warehouse: Path, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    held, release = tmp_path / "held", tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-c", script, str(warehouse), str(held), str(release)])
    deadline = time.monotonic() + 60
    while not held.exists():
        assert holder.poll() is None and time.monotonic() < deadline, "the holder never got the file"
        time.sleep(0.01)
    return holder, release


@pytest.fixture
def master_loaded(warehouse):
    load_master(warehouse, SAMPLES / "master", datetime(2026, 11, 1, tzinfo=JST))
    return warehouse


@pytest.mark.parametrize("holder_script, says", [(READ_ONLY, "which has the file open"),
                                                 (WRITER, "since")])
def test_a_writer_waits_for_whoever_has_the_warehouse_and_says_who(master_loaded, tmp_path, data_dir,
                                                                   holder_script, says):
    holder, release = _hold(holder_script, master_loaded.path, tmp_path)
    writer = subprocess.Popen([KONBINI, "master", "load", str(SAMPLES / "master")], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        err = Stderr(writer)
        err.wait_for(f"held by process {holder.pid}", count=2)  # at once, and again while it waits
        assert all(says in line for line in err.lines if "held by" in line), err.lines
        release.touch()
        holder.wait(timeout=30)
        assert writer.wait(timeout=120) == 0, err.lines
        assert not any("Traceback" in line for line in err.lines)
    finally:
        for proc in (holder, writer):
            proc.kill()
            proc.wait()
