"""Orders registered over the API reach the warehouse by every pull: `export_and_pull` itself, the
`konbini ingest` command and the pull-feeds flow (run directly, as a one-off command does), all
through the one area function."""

from __future__ import annotations

from datetime import datetime

import pytest
from typer.testing import CliRunner

from tasks.api_orders.intake import register
from tasks.api_orders.ledger import Ledger
from tasks.api_orders.store import open_store
from tasks.clock import JST
from tasks.intake_pull import export_and_pull
from tasks.master import load_master
from tests.conftest import SAMPLES


def _at(hour: int) -> datetime:
    return datetime(2026, 11, 2, hour, tzinfo=JST)


def _order(order_id: str) -> dict:
    return {"site_id": "S000001", "order_id": order_id, "chain": "lawson", "amount": 3980,
            "tax_mode": "taxable", "tax_amount": 361, "ordered_at": "2026-11-02T10:00:00+09:00",
            "due_date": "2026-11-09", "customer_name_kana": "ヤマダ　タロウ", "customer_phone": "0312345678",
            "customer_email": "taro@example.jp"}


@pytest.fixture
def api(warehouse, settings, monkeypatch):
    """The sample master loaded and published (the API judges orders on the published copy)."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)  # the flow runs directly, as in a user's shell
    load_master(warehouse, SAMPLES / "master", _at(9))
    warehouse.publish()
    store, ledger = open_store(settings), Ledger(settings)

    def take(order_id: str, hour: int) -> None:
        [registered] = register(store, ledger, "M000001", [_order(order_id)], _at(hour))
        assert registered.created, registered.reasons

    return take


def _api_orders(warehouse) -> list[tuple[str, str]]:
    with warehouse.read() as con:
        return con.execute("select o.order_id, f.kind from orders o join inbound_files f using (file_id)"
                           " order by o.order_id").fetchall()


def test_every_pull_exports_the_api_intake_first(api, warehouse, settings):
    from flows.cli import app
    from flows.ingest import pull_feeds

    api("API-1", 10)
    outcomes = export_and_pull(warehouse, _at(10), settings, retry_delays=())
    assert [(o.kind, o.state, o.counts.get("orders")) for o in outcomes] == [("API_ORDERS", "accepted", 1)]

    api("API-2", 11)
    done = CliRunner().invoke(app, ["ingest", "--as-of", "2026-11-02T11:00"])
    assert done.exit_code == 0, done.output
    assert "API_ORDERS" in done.output

    api("API-3", 12)
    pull_feeds(as_of=_at(12), retry_delays=[])
    assert _api_orders(warehouse) == [(f"API-{n}", "API_ORDERS") for n in (1, 2, 3)]
