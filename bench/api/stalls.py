"""What the slowest requests of a traced run (`python -m bench.api --trace`) overlapped on the server:
a garbage collection (it holds the GIL: every thread stops), a long batch judge or store transaction,
a late event loop. Client and server read the same clock (CLOCK_MONOTONIC), so a request's span
[sent, answered] is compared with the server's events directly."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

SPANS: list[tuple[float, float]] = []  # (due or sent, answered) on time.monotonic(), open loop only


def _overlaps(span: tuple[float, float], event: tuple[float, str, float, int]) -> bool:
    start, _, ms, _ = event
    return start < span[1] and start + ms / 1000 > span[0]


def _table(events: list, kind: str) -> str:
    ms = sorted(e[2] for e in events if e[1] == kind)
    if not ms:
        return f"{kind}: none"
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
    fourth = [e[3] for e in events if e[1] == kind]
    more = {"judge": f", {sum(fourth) / len(ms):.1f} requests per batch",
            "commit": f", {sum(fourth) / len(ms):.1f} requests per batch"}.get(
        kind, f"; CPU total {sum(fourth):.0f} ms, max {max(fourth):.1f} ms" if kind.startswith("gc") else "")
    return (f"{kind}: {len(ms)}, wall total {sum(ms):.0f} ms, p50 {q[49]:.1f}  p99 {q[98]:.1f}"
            f"  max {ms[-1]:.1f} ms{more}")


def report(trace: Path, window: tuple[float, float]) -> None:
    events = [tuple(e) for e in json.loads(trace.read_text()) if window[0] <= e[0] <= window[1]]
    print("server events in the measured window:")
    for kind in ("gc0", "gc1", "gc2", "judge", "commit", "loop_late"):
        print("  " + _table(events, kind))
    if not SPANS:
        return
    lat = sorted(b - a for a, b in SPANS)
    p99 = statistics.quantiles(lat, n=100)[98]
    slow = [s for s in SPANS if s[1] - s[0] >= p99]
    causes = {
        "a gen-2 collection": lambda e: e[1] == "gc2",
        "a gen-0/1 collection over 5 ms": lambda e: e[1] in ("gc0", "gc1") and e[2] > 5,
        "a commit over 20 ms": lambda e: e[1] == "commit" and e[2] > 20,
        "a judge over 20 ms": lambda e: e[1] == "judge" and e[2] > 20,
        "the event loop late by over 20 ms": lambda e: e[1] == "loop_late" and e[2] > 20,
    }
    print(f"the {len(slow)} requests at or over p99 ({p99 * 1000:.1f} ms) overlapped:")
    for words, match in causes.items():
        hit = sum(any(match(e) and _overlaps(s, e) for e in events) for s in slow)
        print(f"  {words}: {hit}")
    fast = [s for s in SPANS if s[1] - s[0] < statistics.median(lat)]
    gc2 = sum(any(e[1] == "gc2" and _overlaps(s, e) for e in events) for s in fast)
    print(f"  (of the {len(fast)} requests under the median, {gc2} overlapped a gen-2 collection)")
