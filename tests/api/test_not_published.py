"""The order API before anything is published (no analytics.duckdb yet): every answer that needs
the ledger is a 503 in the one error shape, never a misleading 404 or a 500, with one log line."""

from __future__ import annotations

import logging

import httpx
import pytest

from tasks.api_orders.keys import create
from tasks.api_orders.store import open_store
from tests.api.conftest import AS_OF, Server, order


@pytest.fixture
def unpublished(settings):
    from web.app import create_app

    secret = create(open_store(settings), "M000001", AS_OF)[1]
    assert not settings.analytics_path.exists()
    with Server(create_app(settings)) as s, httpx.Client(
            base_url=s.url, headers={"Authorization": f"Bearer {secret}"}, timeout=30) as c:
        yield c


def test_every_answer_needing_the_ledger_is_503_in_the_one_shape(unpublished, caplog):
    with caplog.at_level(logging.WARNING, logger="konbini.web"):
        answers = [unpublished.post("/api/v1/orders", json=order()),
                   unpublished.get("/api/v1/orders/API-1"),
                   unpublished.post("/api/v1/orders/API-1/cancel")]
    for r in answers:
        assert r.status_code == 503, (r.request.url, r.text)
        assert r.headers["content-type"].startswith("application/json")
        assert r.json()["error"]["code"] == "unavailable"
        assert "not published" in r.json()["error"]["message"]
        assert r.headers["x-content-type-options"] == "nosniff"
    lines = [r.getMessage() for r in caplog.records if r.name == "konbini.web"]
    assert len(lines) == 3 and all("\n" not in line and "503" in line for line in lines)


def test_a_bad_key_is_still_401_before_anything_is_published(unpublished):
    r = unpublished.get("/api/v1/orders/API-1", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
