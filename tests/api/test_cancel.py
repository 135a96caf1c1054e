"""`POST /api/v1/orders/{order_id}/cancel`: the rule of a cancellation file, decided once at the merge."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from tasks import clock
from tests.api.conftest import order

TODAY = clock.now().date()


def dated(order_id: str, **over) -> dict:
    fields = {"ordered_at": f"{TODAY}T09:00:00+09:00", "due_date": str(TODAY + timedelta(days=5)), **over}
    return order(order_id, **fields)


def at(hour: int) -> datetime:
    return clock.jst(datetime(TODAY.year, TODAY.month, TODAY.day, hour))


def test_cancel_before_the_customer_chose_a_chain_is_at_once(client):
    o = client.post("/api/v1/orders", json=dated("X-1", chain=...)).json()
    r = client.post("/api/v1/orders/X-1/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.get("/api/v1/orders/X-1").json()["status"] == "cancelled"
    assert "このご注文は取り消されました" in client.get(o["payment_url"]).text
    client.post(o["payment_url"], data={"chain": "lawson"})
    assert client.get("/api/v1/orders/X-1").json()["payment_reference"] is None


def test_cancel_of_a_merged_order_is_decided_by_the_merge(client, settings, warehouse):
    from tasks.api_orders.export import export
    from tasks.ingest import pull
    from tasks.reconcile.run import reconcile

    client.post("/api/v1/orders", json=dated("X-2"))
    export(settings, at(10))
    r = client.post("/api/v1/orders/X-2/cancel")
    assert r.status_code == 202 and r.json()["status"] == "cancel_requested"
    assert client.post("/api/v1/orders/X-2/cancel").status_code == 202  # asked again: the same request
    # the order's file was written by this very export: the cancellation waits for the next one
    assert [n.split("_2")[0] for n in export(settings, at(10))] == []
    assert [n.rsplit("_", 2)[0] for n in export(settings, at(11))] == ["API_CANCELS"]
    outcomes = pull(warehouse, at(12), settings)
    assert [(o.kind, o.state, o.reasons) for o in outcomes] == [("API_ORDERS", "accepted", []),
                                                                  ("API_CANCELS", "accepted", [])]
    with warehouse.write() as con:
        reconcile(con, at(12))
        stored = con.execute("select merchant_id, order_id from order_cancellations").fetchall()
    assert stored == [("M000001", "X-2")]
    warehouse.publish()
    assert client.get("/api/v1/orders/X-2").json()["status"] == "cancelled"


def test_cancel_of_an_unknown_or_another_merchants_order_is_404(client, server, keys):
    client.post("/api/v1/orders", json=dated("X-3"))
    assert client.post("/api/v1/orders/NOPE/cancel").status_code == 404
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {keys['M000002']}"}) as other:
        r = other.post("/api/v1/orders/X-3/cancel")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.post("/api/v1/orders/X-3/cancel").status_code == 401
