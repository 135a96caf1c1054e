"""The API remembers the master rules' answers per published copy (tasks/api_orders/master_answers.py):
repeats give the same reasons as the rule itself, and a new publish is seen at once."""

from __future__ import annotations

from datetime import timedelta

from tasks.master import load_master
from tests.api.conftest import AS_OF, master_with_inactive, order


def test_a_site_closed_by_the_next_publish_is_refused_at_once(client, warehouse, tmp_path):
    assert client.post("/api/v1/orders", json=order("MA-1")).status_code == 201
    assert client.post("/api/v1/orders", json=order("MA-2")).status_code == 201  # answered from memory

    folder = master_with_inactive(tmp_path / "master2")  # the same master, but S000001 closed
    lines = (folder / "sites.csv").read_text(encoding="utf-8").splitlines()
    closed = [line.replace(",active", ",closed") if line.startswith("S000001,") else line for line in lines]
    (folder / "sites.csv").write_text("\n".join(closed) + "\n", encoding="utf-8")
    with warehouse.session() as con:
        load_master(con, folder, AS_OF + timedelta(hours=1))
    warehouse.publish()

    refused = client.post("/api/v1/orders", json=order("MA-3"))
    assert refused.status_code == 422
    assert {"field": "site_id", "reason": "site is closed: it takes no new orders"} in \
        refused.json()["error"]["reasons"]


def test_remembered_answers_are_the_rules_words(client, keys):
    unknown = order("MA-9", site_id="S999999")
    first = client.post("/api/v1/orders", json=unknown).json()
    again = client.post("/api/v1/orders", json={**unknown, "order_id": "MA-10"}).json()
    assert first == again
    assert "unknown site: not in the current master data" in str(first)
