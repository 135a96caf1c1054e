import subprocess
import sys

import duckdb


def test_duckdb_command_answers_a_query_read_only(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table orders as select 42 as amount")
    con.close()
    shell = [sys.executable, "-m", "flows.duckdb_shell", str(path)]
    out = subprocess.run([*shell, "select count(*) as n, sum(amount) as s from orders"],
                         capture_output=True, text=True, check=True).stdout
    assert "42" in out and "1" in out
    refused = subprocess.run([*shell, "delete from orders"], capture_output=True, text=True)
    assert refused.returncode == 1 and "read-only" in refused.stderr
    missing = subprocess.run([*shell, "select * from nowhere"], capture_output=True, text=True)
    assert missing.returncode == 1 and "nowhere" in missing.stderr and "Traceback" not in missing.stderr
