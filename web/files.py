"""The merchant's downloads (portal.md): 収納結果 for a range, 入金明細, 入金スケジュール. Built on demand
with the report renderers; every download is written to the audit log."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tasks import clock
from tasks.errors import KonbiniError
from tasks.portal.downloads import (
    MAX_DAYS,
    Download,
    as_download,
    collection_range,
    schedule_job,
    statement_job,
    statements,
)
from tasks.render.schedule import next_month
from web.merchant import day, view
from web.reading import ScopeDep
from web.session import NotFound, log

router = APIRouter(prefix="/merchants/{merchant_id}")


def send(request: Request, scope: ScopeDep, d: Download, what: str) -> Response:
    log(request, scope.user, "download", f"merchant={scope.merchant_id} {what} file={d.filename}")
    disposition = f"attachment; filename=\"{d.filename}\"; filename*=UTF-8''{quote(d.filename)}"
    return Response(d.content, media_type=d.media_type, headers={"Content-Disposition": disposition})


@router.get("/downloads")
def downloads_page(request: Request, scope: ScopeDep):
    today = clock.now().date()
    return view(request, scope, "downloads.html.j2", "収納結果ダウンロード", start=today.replace(day=1),
                end=today, max_days=MAX_DAYS)


@router.get("/downloads/collection")
def collection_download(request: Request, scope: ScopeDep, start: str = "", end: str = "",
                        format: str = "csv", encoding: str = "utf-8"):  # noqa: A002 (the form's name)
    first, last = day(start), day(end)
    try:
        if first is None or last is None:
            raise KonbiniError("期間: 開始日と終了日を YYYY-MM-DD で指定してください")
        job = collection_range(scope.con, scope.merchant_id, first, last, request.app.state.settings,
                               clock.now())
        d = as_download(job, format, encoding)
    except KonbiniError as e:
        return view(request, scope, "downloads.html.j2", "収納結果ダウンロード", start=first or start,
                    end=last or end, max_days=MAX_DAYS, error=str(e))
    return send(request, scope, d, f"collection {first}..{last} {format} {encoding}")


@router.get("/statements")
def statements_page(request: Request, scope: ScopeDep):
    this_month = clock.now().date().replace(day=1)
    rows = statements(scope.con, scope.merchant_id)
    return view(request, scope, "statements.html.j2", "入金明細", rows=rows,
                months=[this_month, next_month(this_month)])


@router.get("/statements/{settlement_id}.{fmt}")
def statement_download(settlement_id: str, fmt: str, request: Request, scope: ScopeDep,
                       encoding: str = "utf-8"):
    job = statement_job(scope.con, scope.merchant_id, settlement_id, request.app.state.settings, clock.now())
    if job is None or fmt not in ("csv", "pdf"):
        raise NotFound()
    return send(request, scope, as_download(job, fmt, encoding), f"statement {settlement_id} {fmt}")


@router.get("/schedule/{month}.{fmt}")
def schedule_download(month: str, fmt: str, request: Request, scope: ScopeDep, encoding: str = "utf-8"):
    first = day(f"{month}-01")
    if first is None or fmt not in ("csv", "pdf"):
        raise NotFound()
    job = schedule_job(scope.con, scope.merchant_id, first, request.app.state.settings)
    return send(request, scope, as_download(job, fmt, encoding), f"schedule {month} {fmt}")



