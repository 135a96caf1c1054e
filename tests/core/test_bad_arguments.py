"""Every `konbini` command given a bad argument: one line on stderr naming it, exit code 2, no
traceback, and nothing done (the warehouse and the output folder are as they were).

Run as whole processes, as an operator types them, on a warehouse holding the spec's samples.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
import typer

from tasks.clock import JST
from tasks.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "spec" / "samples"

# (command line, what the one line must say). At least one case per command: the test below
# finds a command without a case.
CASES: list[tuple[list[str], str]] = [
    (["nope"], "No such command 'nope'"),
    (["master", "load", "/nonexistent"], "master folder /nonexistent does not exist"),
    (["master", "check", "/nonexistent"], "master folder /nonexistent does not exist"),
    (["master", "show", "--merchant", "M000001"], "No such option: --merchant"),
    (["ingest", "/nonexistent"], "inbox folder /nonexistent does not exist"),
    (["ingest", "--as-of", "yesterday"], "--as-of 'yesterday' is not a date or time"),
    (["files", "--kind", "XYZ"], "--kind 'XYZ' is not one of ORDERS"),
    (["files", "--state", "lost"], "--state 'lost' is not one of accepted"),
    (["sequences", "--as-of", "2026-13-01"], "--as-of '2026-13-01' is not a date or time"),
    (["simulate", "--start", "2026-02-30", "--days", "1", "--orders-per-day", "1", "--seed", "1"],
     "--start '2026-02-30' is not a date"),
    (["simulate", "--start", "2026-10-01", "--days", "0", "--orders-per-day", "1", "--seed", "1"],
     "--days must be at least 1"),
    (["reconcile", "--merchant", "M999999"], "--merchant M999999: no such merchant"),
    (["reconcile", "--merchant", "shop-1"], "--merchant 'shop-1' is not a merchant id"),
    (["reconcile", "--since", "2026-11-20", "--until", "2026-11-01"],
     "--since 2026-11-20 00:00 is after --until 2026-11-01 00:00"),
    (["reconcile", "--as-of", "22 Nov"], "--as-of '22 Nov' is not a date or time"),
    (["exceptions", "list", "--merchant", "M999999"], "--merchant M999999: no such merchant"),
    (["exceptions", "list", "--code", "NOPE"], "--code 'NOPE': unknown exception code"),
    (["exceptions", "list", "--state", "lost"], "--state 'lost': must be open, cleared or resolved"),
    (["exceptions", "show", "EX000000000000"], "EX000000000000: no such exception"),
    (["exceptions", "show", "42"], "'42' is not an exception id"),
    (["exceptions", "resolve", "EX000000000000", "--action", "refund", "--note", "x"],
     "EX000000000000: no such exception"),
    (["exceptions", "resolve", "EX000000000000", "--note", "x"], "Missing option '--action'"),
    (["calendar", "--month", "2026-13"], "--month '2026-13' is not a month"),
    (["calendar", "--month", "2026-11", "--merchant", "M999999"], "M999999"),
    (["calendar", "--month", "2026-11", "--cycle", "5"], "--cycle 5"),
    (["settle", "--as-of", "noon"], "--as-of 'noon' is not a date or time"),
    (["settle", "--payout-date", "2026-02-30"], "--payout-date '2026-02-30' is not a date"),
    (["clawback", "P000", "--note", "x"], "payment P000 is in no finalized settlement"),
    (["reports", "render", "--csv-encoding", "latin-1"], "--csv-encoding 'latin-1'"),
    (["reports", "render", "--as-of", "noon"], "--as-of 'noon' is not a date or time"),
    (["reports", "collection", "--merchant", "M000009", "--day", "2026-11-04"],
     "--merchant M000009: no such merchant"),
    (["reports", "collection", "--merchant", "M000001", "--day", "11/04"], "--day '11/04' is not a date"),
    (["reports", "statement", "--settlement", "M000009-20261101"], "'M000009-20261101' not found"),
    (["reports", "schedule", "--merchant", "M000009", "--month", "2027-01"],
     "--merchant M000009: no such merchant"),
    (["reports", "schedule", "--merchant", "M000001", "--month", "2027-13"],
     "--month '2027-13' is not a month"),
    (["reports", "list", "--merchant", "M999999"], "--merchant M999999: no such merchant"),
    (["reports", "resend", "statement/M000009/M000009-20261101"], "no SMTP host configured"),
    (["reports", "check", "/nonexistent.pdf"], "/nonexistent.pdf is not a file"),
    (["notifications", "list", "--merchant", "M999999"], "--merchant M999999: no such merchant"),
    (["notifications", "list", "--state", "lost"], "--state 'lost' is not one of pending"),
    (["notifications", "list", "--limit", "0"], "--limit"),
    (["notifications", "replay", "no-such-event"], "no notification with event id 'no-such-event'"),
    (["notifications", "replay", "--merchant", "M999999", "--since", "2026-11-01"],
     "--merchant M999999: no such merchant"),
    (["notifications", "deliver", "--as-of", "noon"], "--as-of 'noon' is not a date or time"),
    (["demo", "--days", "0"], "--days must be at least 1, not 0"),
    (["demo", "--speed", "3"], "No such option: --speed"),
    (["serve", "--work-pool", "pool"], "--work-pool needs --register-only"),
    (["deployments", "--all"], "No such option: --all"),
    (["deploy", "--work-pool", "konbini-writer"], "PREFECT_API_URL is not set"),
    (["backup", "--every", "day"], "No such option: --every"),
    (["restore", "/nonexistent.duckdb"], "/nonexistent.duckdb is not a backup"),
    (["api-keys", "create", "M999999"], "merchant M999999: no such merchant"),
    (["api-keys", "list", "--merchant", "shop"], "--merchant 'shop' is not a merchant id"),
    (["api-keys", "revoke", "K000000000000"], "key 'K000000000000': no such active API key"),
    (["users", "add", "x", "--role", "boss"], "--role 'boss' is not one of merchant, operator"),
    (["users", "add", "x", "--merchant", "M999999"], "--merchant M999999: no such merchant"),
    (["users", "add", "x", "--role", "operator", "--merchant", "M000001"], "--merchant is only for merchant"),
    (["users", "disable", "nobody"], "user 'nobody': no such user"),
    (["users", "reset-password", "nobody"], "user 'nobody': no such user"),
    (["users", "list", "--role", "boss"], "--role 'boss' is not one of merchant, operator"),
    (["web", "--port", "0"], "--port 0: must be between 1 and 65535"),
]
CASES += __import__("tests.treasury.bad_argument_cases", fromlist=["GENERIC"]).GENERIC  # payouts, refunds…


def _commands(group, path=()) -> list[tuple[str, ...]]:
    """Every command of the CLI, as its path of names."""
    found = []
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        found += _commands(command, (*path, name)) if sub is not None else [(*path, name)]
    return found


def test_every_command_has_a_bad_argument_case():
    from flows.cli import app

    covered = {tuple(args[:2]) for args, _ in CASES} | {tuple(args[:1]) for args, _ in CASES}
    missing = [" ".join(c) for c in _commands(typer.main.get_command(app)) if c not in covered]
    assert not missing, f"add a bad-argument case to CASES for: konbini {', konbini '.join(missing)}"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A data folder with the samples' master data and inbox pulled (no reconciliation yet)."""
    import shutil

    from tasks.ingest import pull
    from tasks.master import load_master
    from tasks.settings import Settings

    data = tmp_path_factory.mktemp("bad-arguments") / "data"
    shutil.copytree(SAMPLES / "inbox", data / "inbox")
    settings = Settings(data_dir=data)
    wh = Warehouse(settings.warehouse_path)
    load_master(wh, SAMPLES / "master", datetime(2026, 11, 1, tzinfo=JST))
    pull(wh, datetime(2026, 11, 10, 7, tzinfo=JST), settings, retry_delays=())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KONBINI_", "PREFECT_API_URL"))}
    env.update(KONBINI_DATA_DIR=str(data), PYTHONPATH=str(REPO), COLUMNS="80", NO_COLOR="1")
    return data, wh, env


def _state(data, wh) -> tuple:
    """Rows of every table and every file under data/, but the warehouse files themselves."""
    with wh.read() as con:
        tables = [t for (t,) in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
        counts = {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in tables}
    files = sorted(str(p.relative_to(data)) for p in data.rglob("*")
                   if p.is_file() and not p.name.startswith(("warehouse.duckdb", "analytics.duckdb")))
    return counts, files


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from flows.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_bad_arguments_get_one_line_exit_2_and_change_nothing(world):
    data, wh, env = world
    before = _state(data, wh)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda case: _run(case[0], env), CASES))
    wrong = []
    for (args, expected), r in zip(CASES, results, strict=True):
        lines = r.stderr.splitlines()
        ok = (r.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ")
              and expected in lines[0] and r.stdout == "" and "Traceback" not in r.stderr)
        if not ok:
            wrong.append(f"konbini {' '.join(args)} → exit {r.returncode}\n{r.stdout}{r.stderr}")
    assert not wrong, "\n\n".join(wrong)
    assert _state(data, wh) == before
