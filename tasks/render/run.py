"""What is due, rendering it, recording it, and mailing it: the steps of `render_reports`.

Due as of `as_of` (each only once: what report_outputs already holds is not rendered again):
- collection reports of the last LOOKBACK_DAYS days before as_of's date, per merchant with events
  received that day;
- the statement of every finalized settlement;
- from the 1st of a month, the schedule of next month for every active or suspended merchant;
- the operations summary of the day before as_of's date.
Each report's own as-of is fixed by what it is about (a day's reports: the next 00:00 JST; a
statement: its finalization time; a schedule: the 1st of the month it was made in), never by when
the flow happens to run, so a rerun gives byte-identical files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb

from tasks.clock import JST, jst
from tasks.errors import KonbiniError
from tasks.render import collection, operations, pool, schedule, statement
from tasks.render.jobs import Rendered, ReportJob, collect, record_outputs, render_all, submit
from tasks.render.mail import Outcome, deliver_many, due_deliveries
from tasks.settings import Settings
from tasks.warehouse import Warehouse

LOOKBACK_DAYS = 7


def out_root(settings: Settings) -> Path:
    return settings.out_dir / "reports"


def start_of(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=JST)


def _done(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("select report_id from report_outputs").fetchall()}


KINDS = ("collection", "statement", "schedule", "operations")


def plan(con: duckdb.DuckDBPyConnection, as_of: datetime, settings: Settings,
         lookback_days: int = LOOKBACK_DAYS, kinds: Sequence[str] = KINDS) -> list[ReportJob]:
    """Every report (of `kinds`) due as of `as_of` that has not been rendered yet."""
    today = jst(as_of).date()
    done = _done(con)
    jobs: list[ReportJob] = []
    back = lookback_days if "collection" in kinds else 0
    with_events = collection.merchants_with_events_by_day(con, today - timedelta(days=back),
                                                          today - timedelta(days=1)) if back else {}
    for day, merchants in with_events.items():  # the oldest day first
        for m in merchants:
            if f"collection/{m}/{day.isoformat()}" not in done:
                jobs.append(collection.gather(con, m, day, settings, collection.as_of_for(day)))
    wanted = [
        (sid, jst(finalized_at))
        for sid, merchant_id, finalized_at in con.execute(
            "select settlement_id, merchant_id, finalized_at from settlement_finalizations"
            " where $on order by settlement_id", {"on": "statement" in kinds}).fetchall()
        if f"statement/{merchant_id}/{sid}" not in done
    ]
    if wanted:
        jobs.extend(statement.gather_many(con, wanted, settings))
    month = schedule.next_month(today)
    for m in schedule.merchants_due(con) if "schedule" in kinds else []:
        if f"schedule/{m}/{month:%Y-%m}" not in done:
            jobs.append(schedule.gather(con, m, month, settings, schedule.as_of_for(month)))
    yesterday = today - timedelta(days=1)
    if "operations" in kinds and f"operations/_operations/{yesterday.isoformat()}" not in done:
        jobs.append(operations.gather(con, yesterday, settings, start_of(today)))
    return jobs


@dataclass(frozen=True)
class RenderResult:
    rendered: list[Rendered]
    markdown: dict[str, str]  # report_id -> markdown (the operations summary)
    pending: int = 0  # handed to a pipelined shared pool: rendered and recorded later (tasks.render.pool)


def render_due(wh: Warehouse, settings: Settings, as_of: datetime, *, workers: int = 2,
               csv_encoding: str = "utf-8", csv_header: str = "ja", jobs: list[ReportJob] | None = None,
               kinds: Sequence[str] = KINDS) -> RenderResult:
    """Plan (unless `jobs` given), render on `workers` processes, record in report_outputs.
    Inside a pipelined `pool.shared()`, hand the jobs to its workers and return (`pending`)."""
    shared = pool.current()
    if shared is not None:
        shared.finish_pending()  # before planning: what they rendered is done, not due again
    if jobs is None:
        with wh.read() as con:
            jobs = plan(con, as_of, settings, kinds=kinds)
    root = out_root(settings)
    markdown = {j.report_id: j.markdown for j in jobs if j.markdown}
    if shared is not None and shared.pipelined and jobs:
        futures = submit(shared.executor, jobs, root, csv_encoding, csv_header)
        shared.pending.append(pool.Pending(jobs, futures, lambda js, fs: _record(wh, root, as_of, js, fs)))
        return RenderResult([], markdown, pending=len(jobs))
    outcome = render_all(jobs, root, workers=workers, csv_encoding=csv_encoding, csv_header=csv_header)
    return RenderResult(_record(wh, root, as_of, jobs, outcome), markdown)


def _record(wh: Warehouse, root: Path, as_of: datetime, jobs: Sequence[ReportJob],
            outcome: tuple[list[Rendered], list] | list) -> list[Rendered]:
    """Record what was rendered (given as render_all's outcome, or the jobs' futures); then raise the
    failures: the others are written and recorded, these are tried again by the next run."""
    rendered, failed = outcome if isinstance(outcome, tuple) else collect(jobs, outcome)
    if rendered:
        with wh.write() as con:
            record_outputs(con, rendered, root, as_of)
    if failed:
        raise KonbiniError(f"{len(failed)} of {len(jobs)} reports failed to render: "
                           + "; ".join(f"{rid}: {err}" for rid, err in failed))
    return rendered


def deliver_due(wh: Warehouse, settings: Settings, as_of: datetime, *, tries: int = 3,
                backoff_s: float = 2.0) -> list[Outcome]:
    """Mail every due delivery; without an SMTP host (the demo) nothing is sent."""
    if not settings.smtp.host:
        return []
    if (shared := pool.current()) is not None:
        shared.finish_pending()  # mail only what is rendered and recorded
    with wh.read() as con:
        due = due_deliveries(con, out_root(settings))
    return deliver_many(wh, due, settings, as_of, tries=tries, backoff_s=backoff_s)
