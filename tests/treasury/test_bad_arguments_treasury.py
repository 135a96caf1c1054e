"""The treasury commands given bad arguments: one line naming it, exit 2, nothing changed.

GENERIC cases (bad_argument_cases.py) hold on any warehouse (tests/core/test_bad_arguments.py runs
them too, so that every command has a case); the others need a world with a payout, a received
transfer, a refund owed and a receivable, built here. The check itself is the core test's.
"""

from __future__ import annotations

from datetime import datetime

import pytest

import tests.core.test_bad_arguments as core
from tests.settle.conftest import MERCHANTS, Book, settle
from tests.treasury.bad_argument_cases import ACCOUNT, GENERIC, RETURN
from tests.treasury.conftest import Bank, at
from tests.treasury.test_refunds import refund_owed


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A payout to M000003 of 2026-11-16, a transfer of another amount, a refund not resolved, a
    receivable of M000002 (terminated) and a transfer of another amount."""
    import os

    from tasks.settings import Settings
    from tasks.warehouse import Warehouse

    data = tmp_path_factory.mktemp("treasury-bad-arguments") / "data"
    data.mkdir()
    settings = Settings(data_dir=data)
    wh = Warehouse(settings.warehouse_path)
    book = Book(wh)
    book.master(merchants={**MERCHANTS, "M000002": (6, "P1", *MERCHANTS["M000002"][2:])})
    with wh.write() as con:
        con.execute("update merchants set status = 'terminated' where merchant_id = 'M000002'")
    book.payment("M000003", "daily", 40000, "2026-11-04", datetime(2026, 11, 9, 6))
    book.payment("M000002", "daily", 1000, "2026-11-04", datetime(2026, 11, 9, 6))
    settle(settings, at("2026-11-12T07:00"), finalize=True)
    bank = Bank(wh)
    bank.receive("2026-11-17", 12345, "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ", inquiry="000001")
    ex = refund_owed(book, resolve=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KONBINI_", "PREFECT_API_URL"))}
    env.update(KONBINI_DATA_DIR=str(data), PYTHONPATH=str(core.REPO), COLUMNS="80", NO_COLOR="1")
    return data, wh, env, ex


def _cases(ex: str) -> list[tuple[list[str], str]]:
    return GENERIC + [
        ([*RETURN, "--bank-record", "2026-11-17/000001"],
         "--bank-record 2026-11-17/000001: 12,345 yen, but the transfer to M000003 on 2026-11-16 was"),
        ([*RETURN, "--bank-record", "17.11.2026-1"], "--bank-record '17.11.2026-1' is not 勘定日/照会番号"),
        ([*RETURN, "--bank-record", "2026-11-18/000009"], "2026-11-18/000009: no such received transfer"),
        ([*RETURN[:5], "M999999", *RETURN[6:], "--bank-record", "2026-11-17/000001"],
         "--merchant M999999: no such merchant"),
        ([*RETURN[:7], " ", "--bank-record", "2026-11-17/000001"],
         "--reason: say why the transfer came back"),
        ([*RETURN[:-2], "--bank-record", "2026-11-17/000001"], "Missing option '--reason'"),
        (["refunds", "pay", ex, *ACCOUNT], f"exception {ex}: not resolved `refund`"),
        (["refunds", "pay", ex, *ACCOUNT[:-1], "山田"], "--name: character '山'"),
        (["refunds", "pay", "EX0", *ACCOUNT], "'EX0' is not an exception id"),
        (["receivables", "match", "RC-M000002-20261101", "--bank-record", "2026-11-17/000001"],
         "12,345 yen, but receivable RC-M000002-20261101 is"),
    ]


def test_bad_arguments_of_the_treasury_commands(world, monkeypatch):
    data, wh, env, ex = world
    with wh.read() as con:
        assert con.execute("select count(*) from receivables").fetchone() == (1,)
    monkeypatch.setattr(core, "CASES", _cases(ex))
    core.test_bad_arguments_get_one_line_exit_2_and_change_nothing((data, wh, env))
