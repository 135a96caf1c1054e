"""`konbini demo`: a month of simulated business, replayed day by day through every flow.

The simulator writes a month into `<data>/demo/` (master data, the chains' and merchants' files,
identical redeliveries). The demo then plays operations: each morning it delivers into the inbox
the files created since the day before, and runs the scheduled flows in their daily order —
pull the inbox, reconcile, settle (finalizing what is due), render reports. Everything runs at a
fixed simulated time, so the demo gives the same results, byte for byte, on every machine and run.

The flows are called as the CLI calls them (flows/runtime.py): plain calls in this process when no
Prefect API is configured, Prefect flow runs (visible in the UI) when PREFECT_API_URL is set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from flows import runtime
from flows.ingest import pull_feeds
from flows.reconcile import reconcile
from flows.reports import render_reports
from flows.settle import settle
from tasks import publishing
from tasks.clock import JST
from tasks.inbox import parse_name
from tasks.master import load_master
from tasks.render import pool as render_pool
from tasks.settings import Settings, get_settings
from tasks.simulate.run import simulate
from tasks.warehouse import kept_open, open_warehouse

PULL_AT = time(7, 0)  # the morning run: after the chains' 確報 files of ~06:00
REPORTS_AT = time(8, 0)
# DuckDB settings of the replay's open warehouse (instance-wide: every connection of the replay).
# threads = 1: every statement of a morning is over tiny data, where a second thread only costs
# scheduling (~15 % of a reconciliation's CPU), and the other core renders the reports meanwhile.
REPLAY_STORAGE = {"fsync_mode": "NONE", "wal_autocheckpoint": "4GB", "threads": "1"}


@dataclass(frozen=True)
class DemoPlan:
    start: date = date(2026, 10, 1)
    days: int = 31
    orders_per_day: int = 60
    merchants: int = 4
    seed: int = 20261001
    tail_days: int = 16  # mornings after the month: late 確報 (up to 10 days) and its settlements paid

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days + self.tail_days)

    @property
    def mornings(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class DemoResult:
    sim_dir: Path
    first_morning: date
    last_morning: date
    ended_at: datetime  # the simulated time the demo ended on: the last morning's reports (JST)


@dataclass(frozen=True)
class Arrival:
    at: datetime  # naive JST: when the file reaches the inbox
    source: Path
    target: Path  # relative to the inbox: <folder>/<name>


def arrivals(sim_dir: Path) -> list[Arrival]:
    """Every simulated file with the time it arrives, in delivery order: files arrive when they
    are created; the simulator's identical redeliveries arrive a day after their original."""
    found = []
    for root, delay in ((sim_dir / "inbox", timedelta(0)), (sim_dir / "redeliver", timedelta(days=1))):
        for path in sorted(root.glob("*/*")):
            meta = parse_name(path.parent.name, path.name)
            if meta is not None:
                found.append(Arrival(meta.created_at + delay, path, Path(path.parent.name, path.name)))
    return found


def deliver(files: list[Arrival], inbox: Path, after: datetime | None, until: datetime) -> int:
    """Put into the inbox every file that arrives in [after, until); returns how many. A file is
    linked rather than copied when it can be (the pull only moves inbox files aside, never writes
    them), replacing one of that name still waiting."""
    lo = after.replace(tzinfo=None) if after else datetime.min
    hi = until.replace(tzinfo=None)
    delivered = 0
    folders: set[Path] = set()
    for f in files:
        if lo <= f.at < hi:
            target = inbox / f.target
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            _place(f.source, target)
            delivered += 1
    return delivered


def _place(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copyfile(source, target)


def prepare(plan: DemoPlan, settings: Settings) -> Path:
    """Simulate the plan into <data>/demo/ and load its master data as of the eve of the first day."""
    sim_dir = settings.data_dir / "demo"
    shutil.rmtree(sim_dir, ignore_errors=True)  # regenerated identically from the seed
    simulate(sim_dir, plan.start, plan.days, plan.orders_per_day, plan.seed, plan.merchants,
             settings=settings)
    first_morning = datetime.combine(plan.start, PULL_AT, JST)
    load_master(open_warehouse(settings), sim_dir / "master", first_morning - timedelta(days=1))
    return sim_dir


def morning(day: date, files: list[Arrival], inbox: Path, previous: datetime | None) -> int:
    """One simulated morning: deliver what arrived since the previous one, then the day's flows
    in their scheduled order (07:00 pull, reconcile, settle; 08:00 reports)."""
    at = datetime.combine(day, PULL_AT, JST)
    delivered = deliver(files, inbox, previous, at)
    pull_feeds(as_of=at)
    reconcile(as_of=at)
    settle(as_of=at)
    render_reports(as_of=datetime.combine(day, REPORTS_AT, JST))  # on the replay's shared pool
    return delivered


@contextmanager
def warehouse_kept_open(settings: Settings) -> Iterator[None]:
    """Keep the warehouse's database open in this process while inside (`tasks.warehouse.kept_open`).

    Every flow still takes the lock, connects, commits and closes as it always does; DuckDB hands
    each new connection of this process the database already open (its instance cache) instead of
    loading the catalog again and checkpointing on each close, and the migrations are checked once.
    Over the ~200 flow runs of the demo that was a third of its time (docs/benchmarks.md, Demo).
    Nothing else may open the warehouse meanwhile, which holds for the demo's own data folder.

    The demo's warehouse is rebuilt from the seed on every run, so while the replay holds it open
    its commits are not forced to disk one by one (`fsync_mode = 'NONE'`: ~2,300 commits, one per
    pulled file) and it is checkpointed once, on closing, instead of at every 16 MB of log
    (docs/decisions.md, Demo). Every flow still commits its own transactions as it always does.
    """
    with kept_open(settings.warehouse_path, REPLAY_STORAGE):
        yield


@contextmanager
def replaying(settings: Settings) -> Iterator[None]:
    """What the whole replay shares instead of each flow run setting it up (docs/benchmarks.md, Demo):
    the warehouse kept open; the analysts' copy published once at the end rather than after each
    writing flow (nothing reads it meanwhile); one pool of two render processes, pipelined: each
    morning's reports are rendered on the other core while the next morning's flows run, and
    recorded before the next reports are planned (tasks.render.pool)."""
    with (warehouse_kept_open(settings), publishing.deferred(open_warehouse(settings)),
          render_pool.shared(workers=2, pipelined=True)):
        yield


def run_demo(
    plan: DemoPlan = DemoPlan(),
    settings: Settings | None = None,
    on_morning: Callable[[date, int], None] | None = None,
) -> DemoResult:
    """Simulate the plan and run every flow on it, morning by morning; `on_morning(day, files)`
    is called after each morning (the CLI's progress bar)."""
    settings = settings or get_settings()
    sim_dir = prepare(plan, settings)
    files = arrivals(sim_dir)
    inbox = Path(settings.inbox_url)
    log = runtime.logger()
    previous: datetime | None = None
    day = plan.start
    with replaying(settings):
        while day <= plan.end:
            delivered = morning(day, files, inbox, previous)
            log.info("demo %s: %d files delivered and processed", day.isoformat(), delivered)
            if on_morning:
                on_morning(day, delivered)
            previous = datetime.combine(day, PULL_AT, JST)
            day += timedelta(days=1)
    return DemoResult(sim_dir, plan.start, plan.end, datetime.combine(plan.end, REPORTS_AT, JST))
