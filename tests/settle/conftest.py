"""Fixtures of the settlement tests: master data and payments written straight into the warehouse
tables the settlement reads (the contract of migrations 0001 and 0004), so each rule can be tested
on a few rows. The sample scenario test runs the real pipeline instead."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pytest

from tasks.settings import Settings
from tasks.settle.payouts import write_payout_files
from tasks.settle.run import RunResult, run_settlement
from tasks.warehouse import Warehouse

MERCHANTS = {
    # merchant_id: (cycle, plan, bank, branch, account type, number, name_kana)
    "M000001": (1, "P1", "0005", "001", "1", "1234567", "ｶ)ｻﾝﾌﾟﾙｼﾖｳﾃﾝ"),
    "M000002": (2, "P2", "0009", "123", "1", "7654321", "ﾕ)ﾃｽﾄｼﾕﾂﾊﾟﾝ"),
    "M000003": (6, "P1", "0001", "100", "2", "0001111", "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ"),
}
PLANS = [
    ("P1", 10000, 3000, 130, 120, 125, 120, 120, 120, 0),
    ("P2", 0, 0, 0, 0, 0, 0, 0, 0, 250),
]


def settle(settings: Settings, as_of: datetime, **options) -> RunResult:
    """A settlement run as the CLI and the daily flow make it: its own unit of work, then the payout
    files put on disk."""
    wh = Warehouse(settings.warehouse_path)
    with wh.write() as con:
        result = run_settlement(con, as_of, settings, **options)
    with wh.session() as con:
        write_payout_files(con, settings.out_dir)
    return result


class Book:
    """Writes master data and payments rows for a test."""

    def __init__(self, warehouse):
        self.warehouse = warehouse
        self.load_id = 0
        # payments rows say when the reconciliation computed them; these are "reconciled" after
        # every time the tests settle at (finalizing refuses payments reconciled before the cut-off)
        self.reconciled_at = datetime(2031, 1, 1)

    def master(self, merchants=None, plans=None, loaded_at=datetime(2026, 11, 1)):
        self.load_id += 1
        with self.warehouse.write() as con:
            con.execute("insert into master_loads values (?, ?, 'test', ?)",
                        [self.load_id, loaded_at, f"sha{self.load_id}"])
            for mid, (cycle, plan, bank, branch, atype, number, kana) in (merchants or MERCHANTS).items():
                con.execute(
                    "insert into merchants values (?, ?, ?, ?, 'active', date '2026-01-01', ?, ?, ?, ?, ?, ?,"
                    " null, null, 'x@example.jp')",
                    [self.load_id, mid, "テスト", kana, cycle, plan, bank, branch, atype, number])
            for plan in plans or PLANS:
                con.execute("insert into fee_plans values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [self.load_id, *plan])

    def payment(self, merchant_id, chain, amount, paid, confirmed_at=None, *, stamp=False, held=None,
                refunded=False, order_id=None, settleable=None) -> str:
        """A payment of `merchant_id`; confirmed by a 02 in a file created at `confirmed_at`."""
        paid_date = paid if isinstance(paid, date) else date.fromisoformat(paid)
        key = f"{chain}|{merchant_id}|{paid_date}|{amount}|{order_id}"
        pid = hashlib.md5(key.encode()).hexdigest()
        confirmed = confirmed_at is not None
        ok = confirmed and held is None and not refunded if settleable is None else settleable
        with self.warehouse.write() as con:
            con.execute(
                """insert into payments (payment_id, chain, reference, paid_date, paid_time, store_code,
                   amount, merchant_id, order_id, has_prelim, has_confirmed, has_cancel, live, role,
                   confirmed_stamp, confirmed_file_created_at, holding_code, released, refunded,
                   settleable, first_ingested_at, as_of)
                   values (?, ?, ?, ?, '120000', '1', ?, ?, ?, true, ?, false, true, 'order_payment',
                           ?, ?, ?, false, ?, ?, ?, ?)""",
                [pid, chain, pid[:11], paid_date, amount, merchant_id, order_id or pid[:8], confirmed,
                 stamp if confirmed else None, confirmed_at, held, refunded, ok,
                 datetime.combine(paid_date, datetime.min.time()), self.reconciled_at])
        return pid

    def update(self, payment_id, **values):
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.warehouse.write() as con:
            con.execute(f"update payments set {sets} where payment_id = ?", [*values.values(), payment_id])

    def sql(self, query, params=None):
        with self.warehouse.read() as con:
            return con.execute(query, params or []).fetchall()


@pytest.fixture
def book(warehouse) -> Book:
    b = Book(warehouse)
    b.master()
    return b
