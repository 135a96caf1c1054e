"""The order API's and payment page's handles on the app: the intake store, the published ledger,
and the batcher that judges concurrent requests together (one Polars query for many rows)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi import Request

from tasks import clock
from tasks.api_orders.intake import Registered, register
from tasks.api_orders.ledger import Ledger
from tasks.api_orders.store import Store, open_store

MAX_BATCH = 256


@dataclass
class Batcher:
    """Requests queue their order bodies; one worker takes all that wait (up to MAX_BATCH) and
    registers them in a thread, so the event loop keeps accepting while a batch is judged."""

    store: Store
    ledger: Ledger
    queue: asyncio.Queue | None = None
    worker: asyncio.Task | None = None
    pending: set = field(default_factory=set)

    async def submit(self, merchant_id: str, body: dict) -> Registered:
        if self.worker is None or self.worker.done():
            self.queue = asyncio.Queue()
            self.worker = asyncio.get_running_loop().create_task(self._run())
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        await self.queue.put((merchant_id, body, done))
        return await done

    async def _run(self) -> None:
        while True:
            items = [await self.queue.get()]
            while len(items) < MAX_BATCH and not self.queue.empty():
                items.append(self.queue.get_nowait())
            by_merchant: dict[str, list] = {}
            for item in items:
                by_merchant.setdefault(item[0], []).append(item)
            for merchant_id, group in by_merchant.items():
                try:
                    results = await asyncio.to_thread(
                        register, self.store, self.ledger, merchant_id, [g[1] for g in group], clock.now())
                except Exception as e:  # noqa: BLE001 - handed to each waiting request
                    for g in group:
                        g[2].set_exception(e)
                    continue
                for g, r in zip(group, results, strict=True):
                    g[2].set_result(r)


def _state(request: Request):
    app = request.app
    if getattr(app.state, "api_store", None) is None:
        settings = app.state.settings
        app.state.api_store = open_store(settings)
        app.state.api_ledger = Ledger(settings)
        app.state.api_batcher = Batcher(app.state.api_store, app.state.api_ledger)
    return app.state


def store(request: Request) -> Store:
    return _state(request).api_store


def ledger(request: Request) -> Ledger:
    return _state(request).api_ledger


def batcher(request: Request) -> Batcher:
    return _state(request).api_batcher
