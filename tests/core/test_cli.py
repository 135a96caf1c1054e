"""The CLI's own behaviour: tables that never cut an id, one line for an unforeseen error."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from flows.commands.options import print_table

REPO = Path(__file__).resolve().parents[2]
ID = "EX0123456789ab"
NOTE = "the merchant accepts the late payment after a phone call with the customer on Monday"


def _table() -> Table:
    table = Table(title="exceptions")
    table.add_column("id", no_wrap=True)
    table.add_column("code", no_wrap=True)
    table.add_column("raised at")
    table.add_column("note")
    table.add_column("empty")
    table.add_row(ID, "PAID_AFTER_DUE", "2026-11-10 07:00:00", NOTE, "")
    return table


def _print(terminal: bool, width: int) -> list[str]:
    buffer = io.StringIO()
    print_table(Console(file=buffer, width=width, force_terminal=terminal, color_system=None), _table())
    return buffer.getvalue().splitlines()


def test_in_a_narrow_terminal_ids_stay_whole_and_words_wrap_between_words():
    lines = _print(terminal=True, width=72)
    assert max(len(line) for line in lines) <= 72
    text = "\n".join(lines)
    assert ID in text and "PAID_AFTER_DUE" in text
    assert "2026-11-10" in text and "07:00:00" in text  # wrapped at the space, not inside
    words = [w for line in lines for w in line.replace("│", " ").split()]
    assert set(NOTE.split()) <= set(words)  # every word of the note whole
    assert "empty" not in text  # a column without any value is left out in a terminal


def test_wider_than_the_terminal_only_when_the_ids_need_it():
    lines = _print(terminal=True, width=30)
    assert ID in "\n".join(lines) and "PAID_AFTER_DUE" in "\n".join(lines)


def test_piped_each_row_is_one_line():
    lines = _print(terminal=False, width=40)
    rows = [line for line in lines if ID in line]
    assert len(rows) == 1 and NOTE in rows[0] and "2026-11-10 07:00:00" in rows[0]


def test_an_unforeseen_error_is_one_line_with_its_traceback_kept(tmp_path):
    (tmp_path / "warehouse.duckdb").write_bytes(b"not a database" * 1000)
    env = {**os.environ, "KONBINI_DATA_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    r = subprocess.run([sys.executable, "-c", "from flows.cli import main; main()", "exceptions", "list"],
                       capture_output=True, text=True, env=env, timeout=120)
    [line] = r.stderr.splitlines()
    assert r.returncode == 1 and line.startswith("error: unexpected ") and r.stdout == ""
    kept = Path(line.rsplit("(traceback in ", 1)[1].rstrip(")"))
    assert "Traceback" in kept.read_text()
    kept.unlink()
