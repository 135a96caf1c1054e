"""`duckdb FILE`: the analysts' read-only query tool (every row, DuckDB's own statement splitting,
dot commands, an interactive prompt) that refuses the pipeline's own warehouse."""

import os
import pty
import select
import subprocess
import sys
import time

import duckdb
import pytest

SHELL = [sys.executable, "-m", "flows.duckdb_shell"]


@pytest.fixture
def copy(tmp_path):
    path = tmp_path / "analytics.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table orders as select 42 as amount;"
                " create table many as select range as n from range(250)")
    con.close()
    return path


def _run(*args, stdin=None):
    return subprocess.run([*SHELL, *map(str, args)], capture_output=True, text=True, input=stdin, timeout=60)


def test_duckdb_command_answers_a_query_read_only(copy):
    out = _run(copy, "select count(*) as n, sum(amount) as s from orders")
    assert out.returncode == 0 and "42" in out.stdout
    refused = _run(copy, "delete from orders")
    assert refused.returncode == 1 and "read-only" in refused.stderr
    missing = _run(copy, "select * from nowhere")
    assert missing.returncode == 1 and "nowhere" in missing.stderr and "Traceback" not in missing.stderr


def test_every_row_is_printed_and_a_semicolon_in_a_string_splits_nothing(copy):
    rows = _run(copy, "select n from many order by n").stdout
    assert "│   249 │" in rows and "│     0 │" in rows
    assert "a;b" in _run(copy, "select 'a;b' as x").stdout
    csv = _run("-csv", copy, "select n from many order by n").stdout.splitlines()
    assert csv[0] == "n" and len(csv) == 251


def test_dot_commands_from_standard_input(copy):
    out = _run(copy, stdin=".tables\n.schema orders\nselect amount\nfrom orders;\n").stdout
    assert "many" in out and "orders" in out and "amount" in out and "INTEGER" in out and "42" in out


def test_the_pipeline_warehouse_is_refused_with_one_line(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    (tmp_path / "warehouse.duckdb.lock").touch()  # the writer's lock file: this is the pipeline's file
    out = _run(path, "select 1")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "analytics.duckdb" in out.stderr and "Traceback" not in out.stderr


def test_an_interactive_prompt(copy):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [*SHELL, str(copy)])
    seen = b""

    def until(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 60
        while text not in seen:
            assert time.monotonic() < deadline, seen
            if select.select([fd], [], [], 0.5)[0]:
                seen += os.read(fd, 4096)

    until(b"D ")
    os.write(fd, b".tables\n")
    until(b"many")
    os.write(fd, b"select amount * 2 as twice\n")
    until(b"...> ")
    os.write(fd, b"from orders;\n")
    until(b"84")
    os.write(fd, b"select * from nowhere;\n")
    until(b"nowhere")
    os.write(fd, b".quit\n")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and b"Traceback" not in seen
