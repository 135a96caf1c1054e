"""The API remembers the keys it verified (no SQLite lookup per request) and forgets them all as
soon as any key is revoked, by any process: a revoked key is refused from the next request on.
(tests/api/test_api_keys_cli.py revokes through the CLI, in another process, while the server runs.)"""

from __future__ import annotations

import sqlite3

from tasks.api_orders.keys import create, revoke
from tasks.api_orders.store import open_store, store_path
from tests.api.conftest import AS_OF


def _hide_keys(settings) -> None:
    """The keys' table renamed behind the app's back: only remembered keys still answer."""
    with sqlite3.connect(store_path(settings)) as con:
        con.execute("alter table api_keys rename to api_keys_hidden")


def _show_keys(settings) -> None:
    with sqlite3.connect(store_path(settings)) as con:
        con.execute("alter table api_keys_hidden rename to api_keys")


def test_a_verified_key_is_not_looked_up_again(client, settings):
    assert client.get("/api/v1/orders/NONE").status_code == 404  # verified: the key is remembered
    _hide_keys(settings)
    try:
        assert client.get("/api/v1/orders/NONE").status_code == 404
    finally:
        _show_keys(settings)


def test_revoking_any_key_forgets_every_verified_key_at_once(client, settings, keys):
    store = open_store(settings)
    assert client.get("/api/v1/orders/NONE").status_code == 404
    other_id, _ = create(store, "M000002", AS_OF)
    assert revoke(store, other_id, AS_OF)  # another key: M000001's is looked up again, still valid
    assert client.get("/api/v1/orders/NONE").status_code == 404
    (key_id,) = [r[0] for r in store.con().execute(
        "select key_id from api_keys where merchant_id = 'M000001' and revoked_at is null")]
    assert revoke(store, key_id, AS_OF)
    assert client.get("/api/v1/orders/NONE").status_code == 401

