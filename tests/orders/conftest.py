"""Fixtures for the order feed: a warehouse holding the sample master, and inbound files built in memory."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tasks.clock import JST
from tasks.inbox import InboundFile, parse_name
from tasks.warehouse import transaction

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "samples"
SAMPLE_ORDERS = SAMPLES / "inbox" / "orders" / "ORDERS_20261102100500_000001.csv"
BAD_ORDERS = SAMPLES / "bad" / "orders" / "ORDERS_20261110090000_000002.csv"
HEADER = SAMPLE_ORDERS.read_text(encoding="utf-8").splitlines()[0]
AS_OF = datetime(2026, 11, 2, 11, 0, tzinfo=JST)


def order_line(order_id: str = "T-1", *, merchant="M000001", site="S000001", chain="seven",
               reference="1000000000101", amount="3980", tax_mode="taxable", tax="361",
               ordered_at="2026-11-02T10:00:00+09:00", due="2026-11-09", kana="ヤマダ　タロウ",
               phone="0312345678", email="taro@example.jp") -> str:
    return ",".join([merchant, site, order_id, chain, reference, amount, tax_mode, tax, ordered_at, due,
                     kana, phone, email])


def orders_file(lines: list[str], seq: int = 1, header: str = HEADER) -> InboundFile:
    name = f"ORDERS_20261102103000_{seq:06d}.csv"
    return InboundFile(parse_name("orders", name), ("\n".join([header, *lines]) + "\n").encode("utf-8"))


def cancels_file(lines: list[str], seq: int = 1) -> InboundFile:
    name = f"ORDER_CANCELS_20261102120000_{seq:06d}.csv"
    text = "\n".join(["merchant_id,order_id,cancelled_at", *lines]) + "\n"
    return InboundFile(parse_name("orders", name), text.encode("utf-8"))


@pytest.fixture
def con(warehouse, sample_master):
    """A migrated connection whose current master load is the sample master."""
    from tasks.master import load_master

    with warehouse.session() as con:
        load_master(con, sample_master, AS_OF)
        yield con


@pytest.fixture
def ingest(con, settings):
    """Run a handler in its own transaction, as the pull does."""

    def run(handler, f: InboundFile, as_of: datetime = AS_OF):
        with transaction(con):
            return handler(con, f, as_of, settings)

    return run
