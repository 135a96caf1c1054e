"""Downloads built on demand with the report renderers (tasks/render): 収納結果 for any range of up
to 93 days (the daily collection report's columns, CSV UTF-8 BOM or cp932, and PDF), statements
(入金明細) and the payout schedule (入金スケジュール)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import duckdb

from tasks.errors import KonbiniError
from tasks.portal.rows import dicts
from tasks.render import collection, schedule, statement
from tasks.render.csvout import ENCODINGS, csv_bytes
from tasks.render.jobs import ReportJob
from tasks.render.labels import KINDS, jdate
from tasks.render.pdf import render_pdf
from tasks.settings import Settings

MAX_DAYS = 93
FORMATS = ("csv", "pdf")


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    content: bytes


def check_range(start: date, end: date) -> None:
    if end < start:
        raise KonbiniError(f"期間: 終了日 {end} が開始日 {start} より前です")
    if (end - start).days + 1 > MAX_DAYS:
        raise KonbiniError(f"期間: {(end - start).days + 1} 日間は長すぎます（{MAX_DAYS} 日まで）")


def _merged_summary(jobs: list[ReportJob]) -> list[dict]:
    """The per-chain summaries of several days added up (count and total of each kind)."""
    merged: dict[str, dict] = {}
    for job in jobs:
        for row in job.context["summary"]:
            empty = {k: {"count": 0, "total": 0} for k in KINDS}
            into = merged.setdefault(row["chain"], {"chain": row["chain"], "chain_name": row["chain_name"],
                                                    **empty})
            for k in KINDS:
                into[k] = {"count": into[k]["count"] + row[k]["count"],
                           "total": into[k]["total"] + row[k]["total"]}
    return list(merged.values())


def collection_range(con: duckdb.DuckDBPyConnection, merchant_id: str, start: date, end: date,
                     settings: Settings, as_of: datetime) -> ReportJob:
    """One report of the events received from `start` to `end` (both included): each day gathered
    by the daily report, then put together."""
    check_range(start, end)
    days = [collection.gather(con, merchant_id, start + timedelta(n), settings, as_of)
            for n in range((end - start).days + 1)]
    summary = _merged_summary(days)
    context = dict(days[0].context)
    context.update(
        day_label=jdate(start) if start == end else f"{jdate(start)}〜{jdate(end)}",
        events=[e for d in days for e in d.context["events"]], summary=summary,
        totals={k: {"count": sum(r[k]["count"] for r in summary),
                    "total": sum(r[k]["total"] for r in summary)} for k in KINDS},
        chart_max=max([r[k]["total"] for r in summary for k in ("01", "02")] or [0]),
    )
    subject = f"{start.isoformat()}_{end.isoformat()}"
    rows = tuple(r for d in days for r in d.csv_rows)
    return replace(days[0], subject=subject, context=context, csv_rows=rows,
                   title=f"収納結果 {start.isoformat()}〜{end.isoformat()} {merchant_id}")


def as_download(job: ReportJob, fmt: str, encoding: str = "utf-8") -> Download:
    """The job rendered as PDF or as CSV in `encoding` (utf-8 with BOM, or cp932)."""
    if fmt not in FORMATS:
        raise KonbiniError(f"形式 {fmt!r}: csv か pdf を選んでください")
    name = f"{job.kind}_{job.merchant_id}_{job.subject}"
    if fmt == "pdf":
        return Download(f"{name}.pdf", "application/pdf",
                        render_pdf(job.template, job.context, as_of=job.as_of, report_id=job.report_id))
    if encoding not in ENCODINGS:
        raise KonbiniError(f"文字コード {encoding!r}: utf-8 か cp932 を選んでください")
    data = csv_bytes(job.csv_columns, job.csv_rows, encoding, where=job.report_id)
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    return Download(f"{name}.csv", f"text/csv; charset={charset}", data)


def statements(con: duckdb.DuckDBPyConnection, merchant_id: str) -> list[dict]:
    """Every settlement of the merchant, finalized or draft (the latest run's), newest first."""
    return dicts(con, """
        select settlement_id, period_start, period_end, cutoff, payout_date, payment_count, payments_total,
               fees, tax, stamps, adjustments, net, state, finalized_at
        from v_settlements where merchant_id = ?
        order by payout_date desc, settlement_id desc""", [merchant_id])


def statement_job(con: duckdb.DuckDBPyConnection, merchant_id: str, settlement_id: str,
                  settings: Settings, as_of: datetime) -> ReportJob | None:
    """The statement of one of the merchant's settlements; None when it has no such settlement."""
    if settlement_id not in {s["settlement_id"] for s in statements(con, merchant_id)}:
        return None
    return statement.gather(con, settlement_id, settings, statement.as_of_for(con, settlement_id, as_of))


def schedule_job(con: duckdb.DuckDBPyConnection, merchant_id: str, month: date,
                 settings: Settings) -> ReportJob:
    """The payout schedule (入金スケジュール) of the month starting at `month`."""
    return schedule.gather(con, merchant_id, month, settings, schedule.as_of_for(month))
