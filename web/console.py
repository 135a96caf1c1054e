"""The operators' console (portal.md): every merchant, plus exceptions, files, sequences, sources,
dead-lettered notifications. Operators decide exceptions here as on the command line."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from tasks.errors import KonbiniError
from tasks.portal import console
from tasks.portal.decisions import resolve_exception
from tasks.portal.merchants import all_merchants
from tasks.reconcile.rules import ACTIONS
from tasks.warehouse import Warehouse
from web.pages import page
from web.reading import PublishedDep
from web.session import FormDep, OperatorDep, log, now_jst, operator

router = APIRouter(prefix="/console", dependencies=[Depends(operator)])


@router.get("/")
def overview(request: Request, con: PublishedDep):
    return page(request, "console.html.j2", title="運用コンソール", merchants=all_merchants(con),
                exceptions=len(console.open_exceptions(con)), gaps=console.sequence_gaps(con),
                dead=len(console.dead_notifications(con)))


@router.get("/exceptions")
def exceptions(request: Request, con: PublishedDep, done: str = ""):
    return page(request, "exceptions.html.j2", title="未解決の例外", rows=console.open_exceptions(con),
                actions=ACTIONS, flash=done)


@router.post("/exceptions/{exception_id}/resolve")
def resolve(exception_id: str, request: Request, form: FormDep,
            user: OperatorDep, con: PublishedDep):
    action, note = form.get("action", ""), form.get("note", "")
    settings = request.app.state.settings
    try:
        r = resolve_exception(Warehouse(settings.warehouse_path), exception_id, action, note,
                              f"web:{user.username}", now_jst())
    except KonbiniError as e:
        log(request, user, "resolve_refused", f"exception={exception_id} action={action}")
        return page(request, "exceptions.html.j2", 422, title="未解決の例外",
                    rows=console.open_exceptions(con), actions=ACTIONS, error=str(e))
    log(request, user, "resolve", f"exception={r.exception_id} code={r.code} action={r.action}")
    return RedirectResponse(f"/console/exceptions?done={r.exception_id}+{r.action}", status_code=303)


@router.get("/files")
def files(request: Request, con: PublishedDep):
    return page(request, "files.html.j2", title="受信ファイル", rows=console.files(con))


@router.get("/sequences")
def sequences(request: Request, con: PublishedDep):
    return page(request, "sequences.html.j2", title="連番と欠番", rows=console.sequences(con),
                gaps=console.sequence_gaps(con))


@router.get("/sources")
def sources(request: Request, con: PublishedDep):
    return page(request, "sources.html.j2", title="取得元の状態", rows=console.sources(con))


@router.get("/notifications")
def dead(request: Request, con: PublishedDep):
    return page(request, "dead.html.j2", title="配信不能の通知", rows=console.dead_notifications(con))


@router.get("/runs")
def runs(request: Request):
    from tasks.portal.flow_runs import last_runs

    return page(request, "runs.html.j2", title="フローの実行", rows=last_runs())
