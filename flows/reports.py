"""Rendering what is due and mailing it (tasks.render.run): `render_reports(as_of=None)`.

Plan in this process (reads the warehouse), render PDFs on both cores (a process pool inside the
render task: WeasyPrint is CPU bound and not thread-parallel), record the outputs, publish the
operations summary as a markdown artifact, then mail merchants' reports when SMTP is configured.
"""

from __future__ import annotations

from datetime import datetime

from prefect.cache_policies import NO_CACHE

from flows import runtime
from tasks import clock
from tasks.render import run
from tasks.settings import get_settings
from tasks.warehouse import open_warehouse

_TASK = {"cache_policy": NO_CACHE, "persist_result": False}


@runtime.task(name="render-due-reports", **_TASK)
def render_due(as_of: datetime, workers: int, csv_encoding: str, kinds: list[str]) -> run.RenderResult:
    settings = get_settings()
    wh = open_warehouse(settings)
    return run.render_due(wh, settings, as_of, workers=workers, csv_encoding=csv_encoding, kinds=kinds)


@runtime.task(name="publish-operations-summary", **_TASK)
def publish_summary(report_id: str, markdown: str) -> None:
    key = "operations-summary-" + report_id.rsplit("/", 1)[-1]
    runtime.markdown_artifact(markdown=markdown, key=key, description=f"Operations summary ({report_id})")


@runtime.task(name="mail-due-reports", **_TASK)
def mail_due(as_of: datetime) -> dict[str, int]:
    settings = get_settings()
    outcomes = run.deliver_due(open_warehouse(settings), settings, as_of)
    return {
        "accepted": sum(o.state == "accepted" for o in outcomes),
        "failed": sum(o.state == "failed" for o in outcomes),
    }


def _render_and_mail(as_of: datetime | None, workers: int, csv_encoding: str, kinds: list[str]) -> dict:
    as_of = clock.jst(as_of) if as_of else clock.now()
    result = render_due(as_of, workers, csv_encoding, kinds)
    for report_id, md in result.markdown.items():
        publish_summary(report_id, md)
    mailed = mail_due(as_of)
    if result.rendered or mailed["accepted"] or mailed["failed"]:
        open_warehouse().publish()
    summary = {"rendered": len(result.rendered), **mailed,
               "reports": [r.report_id for r in result.rendered]}
    runtime.logger().info("reports at %s: %d rendered, %d mailed, %d mail failures",
                          as_of.isoformat(), summary["rendered"], mailed["accepted"], mailed["failed"])
    return summary


@runtime.flow(name="render-reports", log_prints=False)
def render_reports(as_of: datetime | None = None, workers: int = 2, csv_encoding: str = "utf-8") -> dict:
    """Render every report due as of `as_of` (default now) and mail merchants theirs."""
    return _render_and_mail(as_of, workers, csv_encoding, list(run.KINDS))


@runtime.flow(name="render-schedules", log_prints=False)
def render_schedules(as_of: datetime | None = None, workers: int = 2, csv_encoding: str = "utf-8") -> dict:
    """Next month's settlement schedules (入金スケジュール表), due from the 1st; mailed to merchants.
    `render_reports` renders them too when due: whichever runs first does it, the other finds it done."""
    return _render_and_mail(as_of, workers, csv_encoding, ["schedule"])
