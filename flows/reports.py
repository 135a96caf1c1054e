"""Rendering what is due and mailing it (tasks.render.run): `render_reports(as_of=None)`.

Plan in this process (reads the warehouse), render PDFs on both cores (a process pool inside the
render task: WeasyPrint is CPU bound and not thread-parallel), record the outputs, publish the
operations summary as a markdown artifact, then mail merchants' reports when SMTP is configured.
A run with reports not mailed (failed, rejected or unknown deliveries) ends `Completed` named
`Undelivered`, not a plain green run.
"""

from __future__ import annotations

from datetime import datetime

from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, State

from flows import runtime
from tasks import clock
from tasks.render import run
from tasks.settings import get_settings
from tasks.warehouse import open_warehouse

_TASK = {"cache_policy": NO_CACHE, "persist_result": False}


@runtime.task(name="render-due-reports", **_TASK)
def render_due(as_of: datetime, workers: int, csv_encoding: str, kinds: list[str],
               csv_header: str = "ja") -> run.RenderResult:
    settings = get_settings()
    wh = open_warehouse(settings)
    return run.render_due(wh, settings, as_of, workers=workers, csv_encoding=csv_encoding, kinds=kinds,
                          csv_header=csv_header)


@runtime.task(name="publish-operations-summary", **_TASK)
def publish_summary(report_id: str, markdown: str) -> None:
    key = "operations-summary-" + report_id.rsplit("/", 1)[-1]
    runtime.markdown_artifact(markdown=markdown, key=key, description=f"Operations summary ({report_id})")


@runtime.task(name="mail-due-reports", **_TASK)
def mail_due(as_of: datetime) -> dict[str, int]:
    settings = get_settings()
    outcomes = run.deliver_due(open_warehouse(settings), settings, as_of)
    for o in outcomes:
        if o.state != "accepted":
            runtime.logger().warning("%s to %s (round %d): %s after %d tries: %s", o.report_id,
                                     o.recipient, o.round, o.state, o.attempts, o.error)
    counts = {s: sum(o.state == s for o in outcomes) for s in ("accepted", "rejected", "unknown")}
    return {**counts, "failed": len(outcomes) - counts["accepted"]}  # failed: every one not accepted


def _render_and_mail(as_of: datetime | None, workers: int, csv_encoding: str, kinds: list[str],
                     csv_header: str) -> dict | State:
    as_of = clock.jst(as_of) if as_of else clock.now()
    result = render_due(as_of, workers, csv_encoding, kinds, csv_header)
    for report_id, md in result.markdown.items():
        publish_summary(report_id, md)
    mailed = mail_due(as_of)
    if result.rendered or result.pending or mailed["accepted"] or mailed["failed"]:
        open_warehouse().publish()
    summary = {"rendered": len(result.rendered), **mailed,
               "reports": [r.report_id for r in result.rendered]}
    if result.pending:  # a pipelined shared pool renders them while the caller goes on
        summary["rendering"] = result.pending
    runtime.logger().info("reports at %s: %d rendered, %d rendering, %d mailed, %d mail failures",
                          as_of.isoformat(), summary["rendered"], result.pending, mailed["accepted"],
                          mailed["failed"])
    if mailed["failed"]:  # not a plain green run: the UI shows the state's name
        note = (f"{mailed['failed']} report e-mails not accepted ({mailed['rejected']} rejected,"
                f" {mailed['unknown']} unknown): see `konbini reports list`")
        return Completed(name="Undelivered", data=summary, message=note)
    return summary


@runtime.flow(name="render-reports", log_prints=False)
def render_reports(as_of: datetime | None = None, workers: int = 2, csv_encoding: str = "utf-8",
                   csv_header: str = "ja") -> dict:
    """Render every report due as of `as_of` (default now) and mail merchants theirs.
    CSV headers in Japanese (`ja`) or English (`en`)."""
    return _render_and_mail(as_of, workers, csv_encoding, list(run.KINDS), csv_header)


@runtime.flow(name="render-schedules", log_prints=False)
def render_schedules(as_of: datetime | None = None, workers: int = 2, csv_encoding: str = "utf-8",
                     csv_header: str = "ja") -> dict:
    """Next month's settlement schedules (入金スケジュール表), due from the 1st; mailed to merchants.
    `render_reports` renders them too when due: whichever runs first does it, the other finds it done."""
    return _render_and_mail(as_of, workers, csv_encoding, ["schedule"], csv_header)
