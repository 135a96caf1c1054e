"""Sending claimed notifications over HTTP (no database here).

- One client per target (scheme, host, port), its connections pinned to checked addresses and every
  request bounded by one deadline (tasks.notify.transport); at most `MAX_RESPONSE_BYTES` of an
  answer are read (the status code is the answer; the rest is not waited for).
- At most `PER_TARGET` requests to one target at a time, so one slow merchant server holds at most
  that many of the `concurrency` threads; once one of its requests has run out of time, its other
  orders are not sent in this run (a failed attempt each, "not sent: … did not answer", retried
  after the usual backoff) — a stalled server costs a run one deadline, not one per order.
- Chains not started within `budget_s` of the run are left for the next run (no attempt), so a
  run ends in about `budget_s` + `timeout_s` and the next scheduled run is not cancelled behind it.
- Results are yielded in batches as they finish, for the caller to record at once.
"""

from __future__ import annotations

import queue
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import httpx

from tasks.clock import jst
from tasks.notify import signing, transport
from tasks.notify.targets import Resolver, TargetRefused

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_CONCURRENCY = 32
PER_TARGET = 4
RUN_BUDGET_S = 40.0
MAX_RESPONSE_BYTES = 64 * 1024
BATCH_EVERY_S = 0.5  # how often finished attempts are handed over for recording

Target = tuple[str, str, int] | None  # (scheme, host, port); None: refused before any HTTP


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    latency_ms: int
    error: str | None  # None when delivered


def _target(url: str | None, refused: str | None) -> Target:
    if refused or not url:
        return None
    u = httpx.URL(url)
    return (u.scheme, u.host, u.port or (443 if u.scheme == "https" else 80))


class _Sender:
    def __init__(self, as_of: datetime, timeout_s: float, allow_loopback: bool,
                 resolver: Resolver | None, verify: ssl.SSLContext | bool):
        self.as_of, self.timeout_s = jst(as_of), timeout_s
        self.t0 = time.monotonic()
        self.deadline = transport.Deadline()
        self.options = {"timeout_s": timeout_s, "max_connections": PER_TARGET,
                        "allow_loopback": allow_loopback, "resolver": resolver,
                        "ssl_context": transport.ssl_context(verify),
                        "deadline": self.deadline}
        self.clients: dict[Target, httpx.Client] = {}
        self.slow: set[Target] = set()
        self.lock = threading.Lock()

    def client(self, target: Target) -> httpx.Client:
        with self.lock:
            if target not in self.clients:
                self.clients[target] = transport.client(**self.options)
            return self.clients[target]

    def close(self) -> None:
        for c in self.clients.values():
            c.close()

    def attempt(self, d, target: Target) -> Attempt:
        if d.refused:
            return Attempt(None, 0, d.refused)
        if target in self.slow:
            return Attempt(None, 0, f"not sent: {target[1]} ran out of time on another request of this run")
        attempt = self.post(d, target)
        if attempt.error and attempt.error.startswith("no complete answer"):
            with self.lock:
                self.slow.add(target)
        return attempt

    def post(self, d, target: Target) -> Attempt:
        client = self.client(target)
        started = time.monotonic()
        self.deadline.at = started + self.timeout_s
        # the timestamp is the real sending time on the run's clock (as_of + time elapsed in the run)
        timestamp = int(self.as_of.timestamp() + (started - self.t0))
        headers = signing.headers(d.event_id, d.secret, timestamp, d.body)
        code = None
        try:
            with client.stream("POST", d.url, content=d.body, headers=headers) as response:
                code = response.status_code
                read = 0
                for chunk in response.iter_raw():
                    read += len(chunk)
                    if read > MAX_RESPONSE_BYTES:
                        break  # enough: the status code is the answer
        except httpx.TimeoutException:
            return Attempt(code, _ms(started), f"no complete answer within {self.timeout_s:g} s")
        except TargetRefused as e:
            return Attempt(None, _ms(started), f"refused: {e}"[:500])
        except httpx.HTTPError as e:
            return Attempt(code, _ms(started), f"{type(e).__name__}: {e}"[:500])
        finally:
            self.deadline.at = float("inf")
        if 200 <= code < 300:
            return Attempt(code, _ms(started), None)
        if 300 <= code < 400:
            return Attempt(code, _ms(started), f"HTTP {code}: redirects are not followed")
        return Attempt(code, _ms(started), f"HTTP {code}")


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def send(
    chains: list[list], as_of: datetime, *, timeout_s: float = DEFAULT_TIMEOUT_S,
    concurrency: int = DEFAULT_CONCURRENCY, allow_loopback: bool = False, resolver: Resolver | None = None,
    verify: ssl.SSLContext | bool = True, budget_s: float = RUN_BUDGET_S,
) -> Iterator[list[tuple[object, Attempt]]]:
    """POST the claimed chains (lists of tasks.notify.delivery.Delivery); yields batches of
    (delivery, attempt) as they finish. Within an order the events go one after another and a
    failure stops the rest of that order's chain (they wait for the next run)."""
    if not chains:
        return
    sender = _Sender(as_of, timeout_s, allow_loopback, resolver, verify)
    lanes: dict[Target, deque] = {}
    for chain in chains:
        lanes.setdefault(_target(chain[0].url, chain[0].refused), deque()).append(chain)
    finished: queue.Queue = queue.Queue()

    def lane(target: Target, todo: deque) -> None:
        while time.monotonic() - sender.t0 < budget_s:
            try:
                chain = todo.popleft()
            except IndexError:
                return
            for d in chain:
                attempt = sender.attempt(d, target)
                finished.put((d, attempt))
                if attempt.error:
                    break

    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            futures = [pool.submit(lane, target, todo)
                       for target, todo in lanes.items()
                       for _ in range(min(len(todo), PER_TARGET if target else 1))]
            while True:
                running = not all(f.done() for f in futures)
                batch = _drain(finished, BATCH_EVERY_S if running else 0)
                if batch:
                    yield batch
                elif not running:
                    break
            for f in futures:
                f.result()  # a bug in a lane is raised, not swallowed
    finally:
        sender.close()


def _drain(finished: queue.Queue, wait_s: float) -> list:
    batch = []
    end = time.monotonic() + wait_s
    while True:
        try:
            batch.append(finished.get(timeout=max(0.0, end - time.monotonic())) if wait_s else
                         finished.get_nowait())
        except queue.Empty:
            return batch
