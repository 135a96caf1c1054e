"""Fixtures of the money-out treasury tests (returns, refunds, receivables, conservation).

Settlements come from the settlement tests' `Book` (master data and payments rows written straight
into the tables the settlement reads). `Bank.receive` STANDS IN FOR A BANK_IN FILE UNTIL THE MERGE
with the bank feed: it writes `bank_records` rows (migration 0013's contract) as an accepted file's
data records would be; the lead may switch these tests to real BANK_IN files after merging.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pytest

from tests.settle.conftest import Book

__all__ = ["Bank", "Book", "at"]


def at(text: str) -> datetime:
    from tasks.clock import JST

    return datetime.fromisoformat(text).replace(tzinfo=JST)


class Bank:
    """Incoming transfers (振込入金通知 data records) written into bank_records."""

    def __init__(self, warehouse):
        self.warehouse = warehouse
        self.file_id = 900_000  # far from the inbox's file ids
        self.inquiry = 0

    def receive(self, booking: str | date, amount: int, remitter: str, *, ingested_at: datetime | None = None,
                inquiry: str | None = None) -> str:
        """One received transfer; returns its 勘定日/照会番号 as the commands take it."""
        booking = booking if isinstance(booking, date) else date.fromisoformat(booking)
        self.file_id += 1
        self.inquiry += 1
        inquiry = inquiry or f"{self.inquiry:06d}"
        transfer_id = hashlib.md5(f"{booking:%Y-%m-%d}|{inquiry}".encode()).hexdigest()
        ingested = ingested_at or datetime.combine(booking, datetime.min.time()).replace(hour=6)
        with self.warehouse.write() as con:
            con.execute(
                "insert into bank_records values (?, 2, ?, ?, ?, ?, ?, 0, '0000000000', ?, 'ﾐｽﾞﾎ', 'ﾎﾝﾃﾝ',"
                " false, '', ?, ?)",
                [self.file_id, transfer_id, inquiry, booking, booking, amount, remitter,
                 datetime.combine(booking, datetime.min.time()), ingested],
            )
        return f"{booking:%Y-%m-%d}/{inquiry}"


@pytest.fixture
def book(warehouse) -> Book:
    b = Book(warehouse)
    b.master()
    return b


@pytest.fixture
def bank(warehouse, book) -> Bank:
    return Bank(warehouse)
