"""`konbini demo`: a month of simulated business, replayed day by day through every flow.

The simulator writes a month into `<data>/demo/` (master data, the chains' and merchants' files,
identical redeliveries). The demo then plays operations: each morning it delivers into the inbox
the files created since the day before, and runs the scheduled flows in their daily order —
pull the inbox, reconcile, settle (finalizing what is due), render reports. Everything runs at a
fixed simulated time, so the demo gives the same results, byte for byte, on every machine and run.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from prefect import flow, get_run_logger

from flows.ingest import pull_feeds
from flows.reconcile import reconcile
from flows.reports import render_reports
from flows.settle import settle
from tasks.clock import JST
from tasks.inbox import parse_name
from tasks.master import load_master
from tasks.settings import get_settings
from tasks.simulate.run import simulate
from tasks.warehouse import open_warehouse

PULL_AT = time(7, 0)  # the morning run: after the chains' 確報 files of ~06:00
REPORTS_AT = time(8, 0)


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


def deliver(sim_dir: Path, inbox: Path, after: datetime | None, until: datetime) -> int:
    """Copy into the inbox every simulated file that arrives in [after, until): files arrive when
    they are created; the simulator's identical redeliveries arrive a day after their original."""
    lo = after.replace(tzinfo=None) if after else datetime.min
    hi = until.replace(tzinfo=None)
    delivered = 0
    for root, delay in ((sim_dir / "inbox", timedelta(0)), (sim_dir / "redeliver", timedelta(days=1))):
        for path in sorted(root.glob("*/*")):
            meta = parse_name(path.parent.name, path.name)
            if meta is None or not lo <= meta.created_at + delay < hi:
                continue
            target = inbox / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            delivered += 1
    return delivered


@flow(name="demo", log_prints=False)
def demo(plan: DemoPlan = DemoPlan()) -> dict:
    """Simulate a month and run every flow on it, morning by morning."""
    settings = get_settings()
    log = get_run_logger()
    sim_dir = settings.data_dir / "demo"
    shutil.rmtree(sim_dir, ignore_errors=True)  # regenerated identically from the seed
    simulate(sim_dir, plan.start, plan.days, plan.orders_per_day, plan.seed, plan.merchants,
             settings=settings)
    inbox = Path(settings.inbox_url)
    first_morning = datetime.combine(plan.start, PULL_AT, JST)
    load_master(open_warehouse(settings), sim_dir / "master", first_morning - timedelta(days=1))

    previous: datetime | None = None
    day = plan.start
    while day <= plan.end:
        morning = datetime.combine(day, PULL_AT, JST)
        delivered = deliver(sim_dir, inbox, previous, morning)
        pull_feeds(as_of=morning)
        reconcile(as_of=morning)
        settle(as_of=morning)
        render_reports(as_of=datetime.combine(day, REPORTS_AT, JST), workers=1)  # a few a day
        log.info("demo %s: %d files delivered and processed", day.isoformat(), delivered)
        previous = morning
        day += timedelta(days=1)
    return {"sim_dir": str(sim_dir), "through": plan.end.isoformat()}
