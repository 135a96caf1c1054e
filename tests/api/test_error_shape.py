"""Everything under /api/ answers errors in the one shape of docs/api.md, the framework's own errors
too (unknown routes, methods not allowed, unreadable bodies, unexpected failures); pages keep theirs."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from pydantic import BaseModel

from tests.api.conftest import Server


class Thing(BaseModel):
    n: int


def shaped(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/nope", "/api/", "/api/v1/orders/A-1/nope"])
def test_unknown_api_routes_are_404_in_the_one_shape(client, path):
    err = shaped(client.get(path), 404, "not_found")
    assert path in err["message"]


def test_unknown_api_routes_are_404_in_the_one_shape_without_a_key(server):
    shaped(httpx.get(server.url + "/api/v1/nope"), 404, "not_found")


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/api/v1/orders"), ("GET", "/api/v1/orders"),
                                              ("PUT", "/api/v1/orders/A-1"),
                                              ("GET", "/api/v1/orders/A-1/cancel")])
def test_methods_not_allowed_are_405_in_the_one_shape(client, method, path):
    r = client.request(method, path)
    err = shaped(r, 405, "method_not_allowed")
    assert method in err["message"] and r.headers["allow"]


def test_pages_keep_their_html_404(server):
    r = httpx.get(server.url + "/nope")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")


def test_an_unreadable_body_is_400_in_the_one_shape(settings, ledger_ready):
    """A route with a typed body (none of the API's own today: they read the raw body) gets
    FastAPI's validation error as a 400 in the one shape, naming where."""
    from web.app import create_app

    app = create_app(settings)

    @app.post("/api/v1/typed")
    def typed(thing: Thing) -> dict:
        return {"n": thing.n}

    with Server(app) as s:
        ok = httpx.post(s.url + "/api/v1/typed", json={"n": 1})
        assert ok.status_code == 200
        err = shaped(httpx.post(s.url + "/api/v1/typed", content=b"{not json",
                                headers={"Content-Type": "application/json"}), 400, "bad_request")
        assert "body" in err["message"]
        shaped(httpx.post(s.url + "/api/v1/typed", json={"n": "x"}), 400, "bad_request")


def test_an_unexpected_failure_is_500_in_the_one_shape(client, settings):
    from tasks.api_orders.store import store_path

    with sqlite3.connect(store_path(settings)) as con:  # a store broken behind the app's back
        con.execute("alter table api_keys rename to api_keys_gone")
    err = shaped(client.get("/api/v1/orders/A-1"), 500, "internal_error")
    assert "Traceback" not in err["message"]
