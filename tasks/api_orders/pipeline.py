"""Order registrations in group commits (docs/api.md): requests queue their bodies, handed over
once per turn of the event loop; a thread takes every body waiting, judges them together (one
Polars select and one DuckDB query per merchant) and appends them in ONE store transaction, whose
commit (fsync, `synchronous=full`) makes them durable; only then are their requests answered (one
wake-up of the event loop). With overlap (OVERLAP_ENV=1), a second thread commits: every judged
batch waiting shares one transaction while the next batch is judged.

    pipeline = Pipeline(store, ledger)
    outcome = await pipeline.submit(merchant_id, body, remember)   # -> Outcome

`remember` (for an `Idempotency-Key`): the key, the body's bytes and `render(Registered) -> (status,
text)`; the key's answer is decided and kept in the transaction that appends the order, so a key
already used gives its first answer (or CONFLICT) and nothing is appended twice.

The threads end after IDLE_S without work and start again with the next request.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tasks import clock
from tasks.api_orders import idempotency
from tasks.api_orders.intake import Judged, Registered, append, judge_batch
from tasks.api_orders.ledger import Ledger
from tasks.api_orders.store import Store

MAX_BATCH = 256
IDLE_S = 2.0
# judge batch N+1 in one thread while batch N commits in another: on this loaded 2-core machine it
# gained nothing measurable (the commit is a few ms of a batch's ~15; docs/benchmarks.md, Order API),
# so it is off unless KONBINI_API_PIPELINE_OVERLAP=1 (for a re-measure on an idle machine)
OVERLAP_ENV = "KONBINI_API_PIPELINE_OVERLAP"


@dataclass
class Remember:
    key: str
    body: bytes
    render: Callable[[Registered], tuple[int, str]]


@dataclass
class Outcome:
    """A request's result: the registration, and for a keyed request the answer kept for its key
    ((status, text) or idempotency.CONFLICT)."""

    registered: Registered | None
    answer: tuple[int, str] | str | None = None


@dataclass
class _Item:
    merchant_id: str
    body: dict
    remember: Remember | None
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future


class _Stage:
    """A thread that takes everything waiting in its queue (up to `most`) and hands it to `work`."""

    def __init__(self, name: str, work: Callable[[list], None], most: int):
        self.name, self.work, self.most = name, work, most
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def put(self, thing) -> None:
        with self.lock:
            self.queue.put(thing)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                things = [self.queue.get(timeout=IDLE_S)]
            except queue.Empty:
                with self.lock:
                    if self.queue.empty():
                        self.thread = None
                        return
                continue
            while len(things) < self.most:
                try:
                    things.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            self.work(things)


def _settle(items: list[_Item], outcomes: list[Outcome] | None, error: BaseException | None) -> None:
    """Answer these requests on their event loop (one wake-up of a loop for them all)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Item, Outcome | None]]] = {}
    for n, item in enumerate(items):
        by_loop.setdefault(item.loop, []).append((item, outcomes[n] if outcomes else None))

    def done(pairs: list[tuple[_Item, Outcome | None]]) -> None:
        for item, outcome in pairs:
            if item.future.done():  # the request went away meanwhile
                continue
            if error is not None:
                item.future.set_exception(error)
            else:
                item.future.set_result(outcome)

    for loop, pairs in by_loop.items():
        loop.call_soon_threadsafe(done, pairs)


class Pipeline:
    def __init__(self, store: Store, ledger: Ledger, overlap: bool | None = None):
        self.store, self.ledger = store, ledger
        self.overlap = os.environ.get(OVERLAP_ENV) == "1" if overlap is None else overlap
        self._arrived: list[_Item] = []
        self._judge = _Stage("api-judge", self._judge_items, MAX_BATCH)
        self._commit = _Stage("api-commit", self._commit_batches, MAX_BATCH)

    async def submit(self, merchant_id: str, body: dict, remember: Remember | None = None) -> Outcome:
        loop = asyncio.get_running_loop()
        item = _Item(merchant_id, body, remember, loop, loop.create_future())
        # handed over once per turn of the event loop: a batch holds at least every request that
        # arrived together (one item at a time, the thread would wake for each and judge tiny batches)
        if not self._arrived:
            loop.call_soon(self._hand_over)
        self._arrived.append(item)
        return await item.future

    def _hand_over(self) -> None:
        arrived, self._arrived = self._arrived, []
        self._judge.put(arrived)

    def _judge_items(self, handed: list[list[_Item]]) -> None:
        items = [item for group in handed for item in group]
        by_merchant: dict[str, list[_Item]] = {}
        for item in items:
            by_merchant.setdefault(item.merchant_id, []).append(item)
        for merchant_id, group in by_merchant.items():
            try:
                judged = judge_batch(self.ledger, merchant_id, [g.body for g in group])
            except Exception as e:  # noqa: BLE001 - handed to each waiting request
                _settle(group, None, e)
                continue
            if self.overlap:
                self._commit.put((group, judged))
            else:
                self._commit_batches([(group, judged)])

    def _commit_batches(self, batches: list[tuple[list[_Item], Judged]]) -> None:
        """Every judged batch waiting, in one transaction: one fsync for all of them."""
        now = clock.now()
        try:
            with self.ledger.reading() as cur, self.store.tx() as con:
                outcomes = [_append_keyed(con, cur, self.store, group, judged, now)
                            for group, judged in batches]
        except Exception as e:  # noqa: BLE001 - nothing was appended: each request gets the error
            _settle([item for group, _ in batches for item in group], None, e)
            return
        items = [item for group, _ in batches for item in group]
        _settle(items, [o for outs in outcomes for o in outs], None)  # durable now: answer them


def _append_keyed(con, cur, store: Store, group: list[_Item], judged: Judged, now) -> list[Outcome]:
    """Append one judged batch; a keyed request whose key already has an answer (an earlier
    request, or one before it in this transaction) gets that answer and appends nothing."""
    stamp, t = now.isoformat(timespec="seconds"), time.time()
    shas = [idempotency.sha(g.remember.body) if g.remember else "" for g in group]
    early: dict[int, tuple[int, str] | str] = {}
    for i, item in enumerate(group):
        if item.remember and (got := idempotency.decided(con, item.merchant_id, item.remember.key,
                                                         shas[i], t)) is not None:
            early[i] = got
            judged.skip(i)
        elif item.remember and any(g.remember and g.remember.key == item.remember.key and shas[j] != shas[i]
                                   for j, g in enumerate(group[:i]) if j not in early):
            early[i] = idempotency.CONFLICT  # an earlier body of this batch holds the key
            judged.skip(i)
    results = append(con, cur, store, judged, stamp)
    outs = []
    for i, (item, result) in enumerate(zip(group, results, strict=True)):
        if i in early:
            outs.append(Outcome(None, early[i]))
        elif item.remember:
            status, text = item.remember.render(result)
            outs.append(Outcome(result, idempotency.keep(con, item.merchant_id, item.remember.key,
                                                         shas[i], status, text, t)))
        else:
            outs.append(Outcome(result))
    return outs
