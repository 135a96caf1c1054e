"""The two doors race for an order id: an ORDERS file merged after the last publish and an API
order with the same (merchant_id, order_id). Both doors claim the key in the API's store, in the
transaction of their write; whoever claims first wins, the other gets the existing conflict answer
(API: 422 with the file's conflict reason; file row: that reason in the rejection report)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from schemas.orders import ORDER_COLUMNS
from tasks.api_orders.store import Store, store_path
from tasks.inbox import InboundFile, parse_name
from tasks.warehouse import transaction
from tests.api.conftest import AS_OF, order


def conflict(order_id: str) -> tuple[str, str]:
    """The file's conflict reason, as (field, reason)."""
    return "order_id", f"conflict: order M000001 {order_id} is already registered with different content"


def file_text(*rows: dict) -> str:
    return "".join([",".join(ORDER_COLUMNS) + "\n",
                    *(",".join(str(r[c]) for c in ORDER_COLUMNS) + "\n" for r in rows)])


def file_row(order_id: str, reference: str = "10000000001", **over) -> dict:
    return dict(order(order_id, **over), merchant_id="M000001", payment_reference=reference)


def put(settings, name: str, text: str) -> None:
    folder = settings.data_dir / "inbox" / "orders"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def pulled(warehouse, settings, hour: int):
    from tasks.ingest import pull

    return [(o.kind, o.state, [(r.field, r.reason) for r in o.reasons])
            for o in pull(warehouse, datetime(2026, 11, 2, hour, 0), settings)]


def registered(warehouse, order_id: str) -> list[tuple]:
    with warehouse.session() as con:
        return con.execute("select o.payment_reference, o.amount, f.name from orders o join inbound_files f"
                           " using (file_id) where o.order_id = ?", [order_id]).fetchall()


def test_an_api_order_then_a_file_with_its_order_id_before_any_publish(client, warehouse, settings):
    from tasks.api_orders.export import export

    api = client.post("/api/v1/orders", json=order("RACE-1"))
    assert api.status_code == 201
    reference = api.json()["payment_reference"]
    put(settings, "ORDERS_20261102103000_000001.csv", file_text(file_row("RACE-1", amount=1000)))
    assert pulled(warehouse, settings, 10) == [("ORDERS", "accepted", [conflict("RACE-1")])]
    # the API's order merges as it would have without the file: the API claimed the key first
    names = export(settings, datetime(2026, 11, 2, 11, 0))
    assert pulled(warehouse, settings, 11) == [("API_ORDERS", "accepted", [])]
    assert registered(warehouse, "RACE-1") == [(reference, 3980, names[0])]


def test_a_file_with_the_api_orders_very_content_is_the_same_order(client, warehouse, settings):
    """The same content is no conflict (as an identical ORDERS row is none): one order, either door."""
    from tasks.api_orders.export import export

    reference = client.post("/api/v1/orders", json=order("RACE-2")).json()["payment_reference"]
    put(settings, "ORDERS_20261102103000_000001.csv", file_text(file_row("RACE-2", reference)))
    assert pulled(warehouse, settings, 10) == [("ORDERS", "accepted", [])]
    export(settings, datetime(2026, 11, 2, 11, 0))
    assert pulled(warehouse, settings, 11) == [("API_ORDERS", "accepted", [])]
    assert registered(warehouse, "RACE-2") == [(reference, 3980, "ORDERS_20261102103000_000001.csv")]


def test_a_file_merged_after_the_last_publish_then_an_api_order_with_its_order_id(client, warehouse,
                                                                                  settings):
    put(settings, "ORDERS_20261102103000_000001.csv", file_text(file_row("RACE-3")))
    assert pulled(warehouse, settings, 10) == [("ORDERS", "accepted", [])]
    # not published: the API's ledger does not have RACE-3 yet, the store's claim says it is taken
    r = client.post("/api/v1/orders", json=order("RACE-3"))
    assert r.status_code == 422, r.text
    assert [(x["field"], x["reason"]) for x in r.json()["error"]["reasons"]] == [conflict("RACE-3")]
    assert client.post("/api/v1/orders", json=order("RACE-4")).status_code == 201  # other ids go on


def test_a_crash_after_the_stores_commit_then_the_rerun_gives_the_same_state(client, warehouse, settings):
    """The file's claims are committed in the store, the warehouse's transaction is lost: the rerun
    of the same file claims its keys again (they are the file door's) and registers its rows."""
    from tasks.orders import ingest_orders_file

    f = InboundFile(parse_name("orders", "ORDERS_20261102103000_000001.csv"),
                    file_text(file_row("RACE-5")).encode("utf-8"))
    with warehouse.session() as con:
        with pytest.raises(RuntimeError), transaction(con):
            ingest_orders_file(con, f, AS_OF, settings)
            raise RuntimeError("the process dies before the warehouse commits")
        assert con.execute("select count(*) from orders").fetchone()[0] == 0
        # meanwhile the API already answers as if the file had been merged
        assert client.post("/api/v1/orders", json=order("RACE-5")).status_code == 422
        with transaction(con):
            outcome = ingest_orders_file(con, f, AS_OF, settings)
    assert (outcome.state, outcome.reasons) == ("accepted", [])
    assert [r[:2] for r in registered(warehouse, "RACE-5")] == [("10000000001", 3980)]


def test_a_file_row_rejected_for_its_reference_leaves_its_order_id_free(client, warehouse, settings):
    issued = client.post("/api/v1/orders", json=order("RACE-6")).json()["payment_reference"]
    put(settings, "ORDERS_20261102103000_000001.csv", file_text(file_row("RACE-7", issued)))
    assert pulled(warehouse, settings, 10) == [("ORDERS", "accepted", [(
        "payment_reference", "already used by another order of chain lawson (references are never reused)")])]
    assert client.post("/api/v1/orders", json=order("RACE-7")).status_code == 201


def test_api_orders_accepted_before_the_claims_existed_are_claimed_when_the_store_opens(
        client, warehouse, settings):
    """A store of an earlier version (no claimed_orders) gets a claim for every order of its intake."""
    assert client.post("/api/v1/orders", json=order("RACE-8")).status_code == 201
    with sqlite3.connect(store_path(settings)) as raw:
        raw.execute("drop table claimed_orders")
    Store(store_path(settings))
    from tasks.orders import ingest_orders_file

    f = InboundFile(parse_name("orders", "ORDERS_20261102103000_000001.csv"),
                    file_text(file_row("RACE-8", amount=1000)).encode("utf-8"))
    with warehouse.session() as con, transaction(con):
        outcome = ingest_orders_file(con, f, AS_OF, settings)
    assert [(r.field, r.reason) for r in outcome.reasons] == [conflict("RACE-8")]


def test_a_file_row_whose_order_id_waits_for_the_customers_chain_is_a_conflict(client, warehouse, settings):
    """An API order without a chain yet holds its key: a file row with it cannot be the same order."""
    assert client.post("/api/v1/orders", json=order("RACE-9", chain=None)).status_code == 201
    put(settings, "ORDERS_20261102103000_000001.csv", file_text(file_row("RACE-9")))
    assert pulled(warehouse, settings, 10) == [("ORDERS", "accepted", [conflict("RACE-9")])]
