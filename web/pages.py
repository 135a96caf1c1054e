"""Rendering pages: the Jinja2 templates (Japanese), shared filters, and the error pages."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from tasks.render.labels import chain_name

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

STATUS_NAMES = {
    "settled": "精算済", "confirmed": "確報済", "paid": "速報済", "cancelled": "取消",
    "expired": "期限切れ", "awaiting_payment": "入金待ち",
}
KIND_NAMES = {"01": "速報", "02": "確報", "03": "速報取消"}


def yen(value) -> str:
    return "" if value is None else f"{int(value):,}円"


def when(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


templates.env.filters.update(yen=yen, when=when, chain=chain_name,
                             status=lambda s: STATUS_NAMES.get(s, s or ""),
                             kind=lambda k: KIND_NAMES.get(k, k))


def page(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    s = getattr(request.state, "session", None)
    context.update(user=s.user if s else None, csrf_token=s.csrf_token if s else "")
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def not_found(request: Request, *_) -> HTMLResponse:
    return page(request, "error.html.j2", 404, title="見つかりません",
                message="お探しのページは見つかりません。")


def not_published(request: Request, *_) -> HTMLResponse:
    return page(request, "error.html.j2", 503, title="まだ公開されていません",
                message="集計データはまだ公開されていません。しばらくしてから開き直してください。")


def login_required(request: Request, *_) -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


def csrf_refused(request: Request, *_) -> HTMLResponse:
    return page(request, "error.html.j2", 403, title="送信を受け付けられません",
                message="フォームの有効期限が切れたか、不正な送信です。画面を開き直してください。")


async def http_error(request: Request, exc) -> HTMLResponse:
    """Framework errors (unknown path, wrong method) as pages; web/api/errors.py sends only
    non-API paths here (the API's answers keep its JSON shape)."""
    if exc.status_code == 404:
        return not_found(request)
    return page(request, "error.html.j2", exc.status_code, title="エラー", message=str(exc.detail))
