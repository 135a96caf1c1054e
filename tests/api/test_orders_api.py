"""The order API over real HTTP (uvicorn on 127.0.0.1): rules, idempotency, keys, isolation."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import order


def post(client, body, key=None, **kw):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/orders", json=body, headers=headers, **kw)


def test_an_order_with_a_chain_gets_its_reference_and_payment_page(client):
    r = post(client, order("A-1"))
    assert r.status_code == 201, r.text
    o = r.json()
    assert o["merchant_id"] == "M000001" and o["chain"] == "lawson" and o["status"] == "registered"
    assert len(o["payment_reference"]) == 11 and o["payment_reference"].isdigit()
    assert o["payment_url"].startswith(client.base_url.join("/pay/").__str__())
    assert "customer_phone" not in o and "customer_name_kana" not in o  # never echoed
    got = client.get("/api/v1/orders/A-1")
    assert got.status_code == 200 and got.json() == o


def test_reference_lengths_per_chain(client):
    for chain, n in {"seven": 13, "famima": 12, "lawson": 11, "ministop": 11, "daily": 11,
                     "seicomart": 11}.items():
        r = post(client, order(f"L-{chain}", chain=chain))
        assert r.status_code == 201, r.text
        assert len(r.json()["payment_reference"]) == n


def test_an_order_without_a_chain_waits_for_the_customer(client):
    r = post(client, order("N-1", chain=...))
    assert r.status_code == 201, r.text
    o = r.json()
    assert o["chain"] is None and o["payment_reference"] is None and o["status"] == "awaiting_chain"
    assert o["payment_url"]


def test_idempotent_retry_returns_the_first_answer(client, settings):
    first = post(client, order("I-1"), key="k-1")
    again = post(client, order("I-1"), key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    # a retry of a 422 is the same 422
    bad = post(client, order("I-2", amount=0), key="k-2")
    assert bad.status_code == 422 and post(client, order("I-2", amount=0), key="k-2").json() == bad.json()
    from tasks.api_orders.store import open_store

    rows = open_store(settings).con().execute("select count(*) from intake where order_id = 'I-1'").fetchone()
    assert rows[0] == 1


def test_a_reused_key_with_another_body_is_409(client):
    assert post(client, order("C-1"), key="same").status_code == 201
    r = post(client, order("C-2"), key="same")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "idempotency_conflict"
    assert client.get("/api/v1/orders/C-2").status_code == 404  # nothing registered


def test_the_same_order_again_without_key_is_the_same_order_and_other_content_a_conflict(client):
    a = post(client, order("D-1"))
    b = post(client, order("D-1"))
    assert a.status_code == 201 and b.status_code == 200 and b.json() == a.json()
    c = post(client, order("D-1", amount=5000))
    assert c.status_code == 422
    conflict = "conflict: order M000001 D-1 is already registered with different content"
    assert c.json()["error"]["reasons"] == [{"field": "order_id", "reason": conflict}]


def test_keys_missing_unknown_or_revoked_are_401(server, keys, settings):
    from tasks import clock
    from tasks.api_orders.keys import create, revoke
    from tasks.api_orders.store import open_store

    key_id, secret = create(open_store(settings), "M000001", clock.now())
    with httpx.Client(base_url=server.url, timeout=30) as c:
        ok = c.post("/api/v1/orders", json=order("R-1"), headers={"Authorization": f"Bearer {secret}"})
        assert ok.status_code == 201
        revoke(open_store(settings), key_id, clock.now())
        for headers in ({"Authorization": f"Bearer {secret}"}, {"Authorization": "Bearer kb_live_nope"}, {}):
            r = c.post("/api/v1/orders", json=order("R-2"), headers=headers)
            assert r.status_code == 401, headers
            assert r.json()["error"]["code"] == "unauthorized"
            assert c.get("/api/v1/orders/R-1", headers=headers).status_code == 401


def test_another_merchants_order_is_404(client, server, keys):
    assert post(client, order("P-1")).status_code == 201
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {keys['M000002']}"}) as other:
        r = other.get("/api/v1/orders/P-1")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        # and it cannot register on another merchant's site or in its name
        r = other.post("/api/v1/orders", json=order("P-2", merchant_id="M000001"))
        assert r.status_code == 422
        assert {"field": "merchant_id", "reason": "must be the merchant of the API key"} in \
            r.json()["error"]["reasons"]
        r = other.post("/api/v1/orders", json=order("P-3"))  # site S000001 is M000001's
        reasons = r.json()["error"]["reasons"]
        assert {"field": "site_id", "reason": "site belongs to another merchant"} in reasons


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]"])
def test_a_body_that_is_not_a_json_object_is_400(client, raw):
    r = client.post("/api/v1/orders", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


def test_payment_reference_is_ours(client):
    r = post(client, order("Q-1", payment_reference="12345678901"))
    assert r.status_code == 422
    ours = {"field": "payment_reference", "reason": "is issued by us: leave it out"}
    assert r.json()["error"]["reasons"] == [ours]


def test_the_openapi_schema_is_served_and_checked_in(client):
    import json
    from pathlib import Path

    from web.api.openapi import api_schema

    served = api_schema(client.get("/openapi.json").json())
    assert "/api/v1/orders" in served["paths"] and "/api/v1/orders/{order_id}" in served["paths"]
    checked_in = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
    assert checked_in == served, "docs/openapi.json is stale: python -m web.api.openapi > docs/openapi.json"
