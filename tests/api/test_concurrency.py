"""The pipelined group commit under concurrent requests (tasks/api_orders/pipeline.py), over real
HTTP: each request answered once, after its order is committed; repeated orders and keys decided
once even when they arrive together."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import httpx
import pytest

from tasks.api_orders.pipeline import IDLE_S, OVERLAP_ENV
from tasks.api_orders.store import store_path
from tests.api.conftest import order


@pytest.fixture(autouse=True, params=["serial", "overlap"])
def pipeline_mode(request, monkeypatch):
    """Every test in both modes of the pipeline: one thread, or judge and commit overlapped."""
    monkeypatch.setenv(OVERLAP_ENV, "1" if request.param == "overlap" else "0")
    return request.param


def _together(server, key: str, bodies: list[dict], headers: list[dict] | None = None,
              on_answer=None) -> list[httpx.Response]:
    """POST every body at once, each on its own connection."""
    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=len(bodies))
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60,
                                     headers={"Authorization": f"Bearer {key}"}) as c:
            async def one(i: int) -> httpx.Response:
                r = await c.post("/api/v1/orders", json=bodies[i], headers=(headers or [{}] * len(bodies))[i])
                if on_answer:
                    on_answer(r)
                return r
            return await asyncio.gather(*(one(i) for i in range(len(bodies))))
    return asyncio.run(run())


def _count(settings, where: str = "1 = 1") -> int:
    with sqlite3.connect(store_path(settings)) as con:
        return con.execute(f"select count(*) from intake where {where}").fetchone()[0]


def test_many_concurrent_orders_each_answered_once_after_its_commit(server, keys, settings):
    bodies = [order(f"CC-{i}", chain=("seven", "lawson", "famima")[i % 3]) for i in range(120)]
    seen_committed: list[bool] = []

    def committed(r: httpx.Response) -> None:  # another connection sees only committed rows
        with sqlite3.connect(store_path(settings)) as con:
            row = con.execute("select payment_reference from intake where merchant_id = 'M000001'"
                              " and order_id = ?", [r.json()["order_id"]]).fetchone()
        seen_committed.append(row is not None and row[0] == r.json()["payment_reference"])

    answers = _together(server, keys["M000001"], bodies, on_answer=committed)
    assert [r.status_code for r in answers] == [201] * 120, [r.text for r in answers if r.status_code != 201]
    assert [r.json()["order_id"] for r in answers] == [b["order_id"] for b in bodies]
    assert seen_committed == [True] * 120
    refs = {(r.json()["chain"], r.json()["payment_reference"]) for r in answers}
    assert len(refs) == 120
    assert _count(settings) == 120


def test_the_same_order_sent_together_is_registered_once(server, keys, settings):
    answers = _together(server, keys["M000001"], [order("SAME-1")] * 12)
    assert sorted(r.status_code for r in answers) == [200] * 11 + [201]
    assert len({r.json()["payment_reference"] for r in answers}) == 1
    assert _count(settings, "order_id = 'SAME-1'") == 1


def test_one_key_sent_together_gets_one_first_answer(server, keys, settings):
    answers = _together(server, keys["M000001"], [order("KEY-1")] * 12,
                        [{"Idempotency-Key": "k-together"}] * 12)
    assert [r.status_code for r in answers] == [201] * 12  # the first answer, for every retry
    assert len({r.text for r in answers}) == 1
    assert _count(settings, "order_id = 'KEY-1'") == 1


def test_one_key_with_other_bodies_together_registers_one_of_them(server, keys, settings):
    bodies = [order(f"KEYX-{i}") for i in range(10)]
    answers = _together(server, keys["M000001"], bodies, [{"Idempotency-Key": "k-clash"}] * 10)
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [201] + [409] * 9, [r.text for r in answers]
    assert {r.json()["error"]["code"] for r in answers if r.status_code == 409} == {"idempotency_conflict"}
    assert _count(settings, "order_id like 'KEYX-%'") == 1


def test_two_merchants_together_each_get_their_own(server, keys, settings):
    b1 = [order(f"TM-{i}") for i in range(10)]
    b2 = [order(f"TM-{i}", site_id="S000002") for i in range(10)]
    got: dict[str, list[httpx.Response]] = {}

    def send(m, bodies):
        got[m] = _together(server, keys[m], bodies)

    threads = [threading.Thread(target=send, args=a) for a in (("M000001", b1), ("M000002", b2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for m in ("M000001", "M000002"):
        assert {r.status_code for r in got[m]} == {201}, [r.text for r in got[m]]
        assert {r.json()["merchant_id"] for r in got[m]} == {m}
    assert _count(settings, "order_id like 'TM-%'") == 20


def test_the_pipeline_threads_end_when_idle(server, keys):
    _together(server, keys["M000001"], [order("IDLE-1")])
    deadline = time.monotonic() + IDLE_S * 5
    while any(t.name.startswith("api-") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("api-")]


def test_an_order_twice_in_one_batch_is_appended_once(settings, ledger_ready):
    """Concurrent requests land in one batch: a repeat is judged against the first (no unique-key
    failure that would answer 500 to the whole batch)."""
    from tasks import clock
    from tasks.api_orders.intake import register
    from tasks.api_orders.ledger import Ledger
    from tasks.api_orders.store import open_store

    bodies = [order("TWICE-1"), order("TWICE-1"), order("TWICE-2"), order("TWICE-2", amount=4000)]
    first, again, other, clash = register(open_store(settings), Ledger(settings), "M000001", bodies,
                                          clock.now())
    assert first.created and not again.created and again.order == first.order
    assert other.created and clash.order is None
    assert clash.reasons == [{"field": "order_id", "reason": "conflict: order M000001 TWICE-2 is already "
                              "registered with different content"}]
    assert _count(settings, "order_id like 'TWICE-%'") == 2
