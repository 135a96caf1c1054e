"""Every example of docs/analyst.md and docs/warehouse.md runs against the demo's analysts' copy and
returns rows (issue 12): SQL blocks through the `duckdb` command, Python blocks as written."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from flows.demo import DemoPlan, run_demo
from tasks.clock import JST
from tasks.reconcile.resolutions import resolve
from tasks.reconcile.rules import BY_CODE
from tasks.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "docs" / "analyst.md", REPO / "docs" / "warehouse.md"]
DUCKDB = str(Path(sys.executable).parent / "duckdb")


def _blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for i, block in enumerate(re.findall(rf"```{language}\n(.*?)```", doc.read_text(), re.S)):
            found.append((f"{doc.name} {language} block {i + 1}", block))
    return found


@pytest.fixture
def demo_copy(settings) -> Path:
    """The demo's warehouse (README command 1's month) with one exception resolved, published."""
    run_demo(DemoPlan(), settings)
    wh = Warehouse(settings.warehouse_path)
    with wh.write() as con:
        ex_id, code = con.execute("select exception_id, code from exceptions where state = 'open'"
                                  " and not holds order by exception_id limit 1").fetchone()
        resolve(con, ex_id, BY_CODE[code].actions[0], "docs example", "analyst-test",
                datetime(2026, 12, 1, 9, 0, tzinfo=JST))  # after the demo's last morning
    wh.publish()
    return settings.analytics_path


def test_every_documented_example_runs_and_returns_rows(demo_copy):
    con = duckdb.connect(str(demo_copy), read_only=True)
    statements = [(where, st.query) for where, sql in _blocks("sql") for st in con.extract_statements(sql)]
    assert len(statements) >= 10
    empty = [f"{where}: {query.strip()}" for where, query in statements if not con.sql(query).fetchall()]
    con.close()
    assert not empty, "these examples return no rows on the demo's data:\n" + "\n".join(empty)

    for where, sql in _blocks("sql"):  # as an analyst runs them: the `duckdb` command
        done = subprocess.run([DUCKDB, str(demo_copy), sql], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "Traceback" not in done.stderr, f"{where}: {done.stderr}"
    for where, code in _blocks("python"):
        done = subprocess.run([sys.executable, "-c", code + "\nassert con.sql('select 1').fetchall()"],
                              cwd=demo_copy.parent.parent, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{where}: {done.stderr}"
