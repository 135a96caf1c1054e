"""The read-only commands on a warehouse holding every kind of file (the spec's samples and its
treasury sample): what they show, and that they stay light (issue 14.5: under 1 s, so no Pandera,
Polars or Prefect imported to list a table)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tasks.clock import JST
from tasks.ingest import pull
from tasks.master import load_master
from tasks.reconcile.run import reconcile
from tasks.settings import Settings
from tasks.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "spec" / "samples"
BANK_FILES = sorted((SAMPLES / "treasury" / "bank").glob("BANK_IN_*.dat"))
HEAVY = ("pandera", "polars", "pandas", "numpy", "pyarrow", "prefect", "weasyprint")
# the command as `konbini` runs it, then which heavy packages the process imported (on every exit)
SCRIPT = f"""
import sys
from flows.cli import main
try:
    main()
finally:
    print("HEAVY:" + ",".join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)
"""
READ_ONLY = (
    ["--help"],
    ["files"],
    ["exceptions", "list"],
    ["calendar", "--merchant", "M000001", "--month", "2026-11"],
    ["notifications", "list"],
)


def _at(day: int, hour: int = 7) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=JST)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The samples' master and inbox pulled and reconciled, then the two good BANK_IN files of the
    treasury sample, each the morning after its day; reconciled as of 2026-11-20."""
    data = tmp_path_factory.mktemp("read-only") / "data"
    shutil.copytree(SAMPLES / "inbox", data / "inbox")
    settings = Settings(data_dir=data)
    wh = Warehouse(settings.warehouse_path)
    load_master(wh, SAMPLES / "master", _at(1))
    pull(wh, _at(10), settings, retry_delays=())
    for path, day in zip(BANK_FILES, (14, 17), strict=True):
        (data / "inbox" / "bank").mkdir(exist_ok=True)
        shutil.copyfile(path, data / "inbox" / "bank" / path.name)
        pull(wh, _at(day), settings, retry_delays=())
    with wh.write() as con:
        reconcile(con, _at(20))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KONBINI_", "PREFECT_API_URL"))}
    env.update(KONBINI_DATA_DIR=str(data), PYTHONPATH=str(REPO), COLUMNS="250", NO_COLOR="1")
    return wh, env


def _konbini(args: list[str], env: dict) -> tuple[list[str], list[str]]:
    """(stdout lines, heavy packages imported) of one `konbini` process; it must succeed."""
    done = subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    heavy = done.stderr.splitlines()[-1].removeprefix("HEAVY:")
    return done.stdout.splitlines(), [m for m in heavy.split(",") if m]


def _row(lines: list[str], *words: str) -> list[str]:
    """The cells of the one line of a table holding every word (rows and the header alike)."""
    found = [line for line in lines if all(w in line for w in words)]
    assert len(found) == 1, (words, "\n".join(lines))
    return [c.strip() for c in re.split("[│┃]", found[0].strip().strip("│┃"))]


def _header(lines: list[str]) -> list[str]:
    return _row(lines, "┃")


@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_read_only_commands_import_no_pandera_polars_or_prefect(world, args):
    _, env = world
    lines, heavy = _konbini(args, env)
    assert lines and heavy == []


def test_files_counts_the_records_of_bank_and_order_files(world):
    _, env = world
    lines, _ = _konbini(["files"], env)
    records = _header(lines).index("records")
    for path in BANK_FILES:  # its data records (record type 2), counted independently of our reader
        data_records = sum(1 for line in path.read_bytes().splitlines() if line.startswith(b"2"))
        assert data_records > 0
        assert _row(lines, f"bank/{path.name}")[records] == str(data_records)
    orders = next((SAMPLES / "inbox" / "orders").glob("ORDERS_*.csv"))
    lines_of_orders = len(orders.read_text(encoding="utf-8").splitlines()) - 1  # less its header
    assert _row(lines, f"orders/{orders.name}")[records] == str(lines_of_orders)
    sej = next((SAMPLES / "inbox" / "sej").glob("SEJ_01_*.dat"))
    assert int(_row(lines, f"sej/{sej.name}")[records]) > 0  # feed files: as before


def test_exceptions_list_shows_the_treasurys_source_and_bank_day(world):
    wh, env = world
    with wh.read() as con:
        expected = con.execute(
            "select id, source, strftime(bank_day, '%Y-%m-%d') from v_exceptions where source is not null"
        ).fetchall()
    assert expected  # the treasury sample's REMITTANCE_SHORT exceptions
    lines, _ = _konbini(["exceptions", "list"], env)
    header = _header(lines)
    for exception_id, source, bank_day in expected:
        cells = _row(lines, exception_id)
        assert (cells[header.index("source")], cells[header.index("bank day")]) == (source, bank_day)


def test_exceptions_list_without_treasury_rows_has_no_empty_treasury_columns(world):
    _, env = world
    lines, _ = _konbini(["exceptions", "list", "--code", "UNKNOWN_REFERENCE"], env)
    header = _header(lines)
    assert "code" in header and "source" not in header and "bank day" not in header
