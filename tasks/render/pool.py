"""One pool of render processes for many renderings, and rendering while the caller goes on.

`render_all` (tasks.render.jobs) starts a pool of spawned processes per call: each worker imports
WeasyPrint and loads the font again (~2 s of CPU). A replay of many mornings (the demo) opens one
`shared()` pool instead, used by every rendering inside it.

With `pipelined=True`, `render_due` (tasks.render.run) only hands its jobs to the pool and returns:
the reports are written by the workers while the caller runs its next flows on the other core,
and recorded in report_outputs by the next `render_due` (before it plans, so nothing is rendered
twice) or on leaving the pool, whichever comes first. The files and rows are the same as rendering
then and there: a report's content and its recorded times come from the job, not from when it is
rendered. Only for callers that read neither the files nor report_outputs in between (the demo's
pull, reconcile and settle do not); mailing reports first finishes what is pending.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


def _warm() -> None:
    # import WeasyPrint and parse the font once per worker before real work arrives
    from tasks.render.pdf import _fonts_and_style

    _fonts_and_style()


def start(workers: int) -> ProcessPoolExecutor:
    """A pool of spawned render processes (not forked: the parent holds DuckDB's and Prefect's threads)."""
    ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_warm)


@dataclass
class Pending:
    """Jobs handed to the pool by a pipelined `render_due`, and how to record them once rendered."""

    jobs: Sequence[Any]
    futures: list[Future]
    finish: Callable[[Sequence[Any], list[Future]], None]


@dataclass
class SharedPool:
    executor: ProcessPoolExecutor
    pipelined: bool
    pending: list[Pending] = field(default_factory=list)

    def finish_pending(self) -> None:
        """Record every pending rendering, oldest first (waiting for it); a failure is raised once
        the batch it belongs to is recorded."""
        while self.pending:
            batch = self.pending.pop(0)
            batch.finish(batch.jobs, batch.futures)


_current: list[SharedPool] = []


def current() -> SharedPool | None:
    """The shared pool of the innermost `shared()` block, if any."""
    return _current[-1] if _current else None


@contextmanager
def shared(workers: int = 2, pipelined: bool = False) -> Iterator[SharedPool]:
    """One pool of `workers` render processes for every rendering inside; on leaving, what is
    pending is recorded (not on an error inside: then it is dropped, and rendered again next time,
    since report_outputs does not list it)."""
    pool = SharedPool(start(workers), pipelined)
    _current.append(pool)
    try:
        yield pool
        pool.finish_pending()
    finally:
        _current.remove(pool)
        pool.executor.shutdown(wait=True, cancel_futures=True)
