"""The bench's server with stall tracers (`python -m bench.api --trace`): uvicorn on uvloop serving
web.app as `python -m uvicorn --factory web.app:create_app` does, plus

- every garbage collection (gc.callbacks): generation, wall and CPU time of its thread;
- the event loop's lag: a coroutine asks to wake every 2 ms and records how late it woke;
- each pipeline batch (tasks/api_orders/pipeline.py): judging it and its store transaction
  (the commit's fsync and any WAL checkpoint SQLite runs inside it), timed around the methods.

On SIGTERM the events go to the JSON file named by KONBINI_BENCH_TRACE (bench.api sums them up).
Instrumentation only: the methods are wrapped, not changed.

    python bench/api/traced.py PORT     # with PYTHONPATH the served checkout
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

# (start on time.monotonic(), kind, wall ms, n: requests of a batch, CPU ms of a collection)
EVENTS: list[tuple[float, str, float, float]] = []
_gc_started: dict[int, tuple[float, float]] = {}


def _on_gc(phase: str, info: dict) -> None:
    me = threading.get_ident()
    if phase == "start":
        _gc_started[me] = time.monotonic(), time.thread_time()
    elif me in _gc_started:
        t0, c0 = _gc_started.pop(me)
        EVENTS.append((t0, f"gc{info['generation']}", (time.monotonic() - t0) * 1000,
                       (time.thread_time() - c0) * 1000))


def _timed(cls, name: str, kind: str) -> None:
    inner = getattr(cls, name)

    def wrapper(self, things):
        t0 = time.monotonic()
        try:
            return inner(self, things)
        finally:  # _judge_items gets lists of requests, _commit_batches (requests, judged) pairs
            n = sum(len(t) if isinstance(t, list) else len(t[0]) for t in things)
            EVENTS.append((t0, kind, (time.monotonic() - t0) * 1000, n))

    setattr(cls, name, wrapper)


async def _lag(every: float = 0.002) -> None:
    while True:
        t0 = time.monotonic()
        await asyncio.sleep(every)
        late = time.monotonic() - t0 - every
        if late > 0.005:
            EVENTS.append((t0 + every, "loop_late", late * 1000, 0))


def _dump(*_) -> None:
    Path(os.environ["KONBINI_BENCH_TRACE"]).write_text(json.dumps(EVENTS))
    os._exit(0)


async def _serve(port: int) -> None:
    import uvicorn

    from web.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    lag = asyncio.create_task(_lag())
    await server.serve()
    lag.cancel()


def main() -> None:
    import uvloop

    from tasks.api_orders.pipeline import Pipeline

    _timed(Pipeline, "_judge_items", "judge")
    _timed(Pipeline, "_commit_batches", "commit")
    gc.callbacks.append(_on_gc)
    signal.signal(signal.SIGTERM, _dump)  # uvicorn's own handler while it serves; this one after
    uvloop.run(_serve(int(sys.argv[1])))
    _dump()


if __name__ == "__main__":
    main()
