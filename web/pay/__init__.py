"""The customers' payment page (決済選択画面, portal.md): `/pay/{token}`. Japanese, one column for a
phone, no script at all (the chain is chosen with a plain form). The token is the only key: the
page shows this order and nothing else, and no customer data beyond what the customer entered
(none is shown at all)."""

from __future__ import annotations

import io
from pathlib import Path

from barcode import get_barcode_class
from barcode.writer import SVGWriter
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tasks import clock
from tasks.api_orders.choose import ChainRefused, barcode, choose, page
from tasks.api_orders.ledger import NotPublished
from tasks.render.labels import CHAINS, jdate
from web.api.context import ledger, store

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(chain_name=CHAINS, jdate=jdate)
router = APIRouter(prefix="/pay", include_in_schema=False)
TOKEN = r"^[A-Za-z0-9_-]{32}$"  # secrets.token_urlsafe(24): 192 bits


def _missing(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "missing.html", status_code=404)


def _page(request: Request, token: str):
    try:
        return page(store(request), ledger(request), token, clock.now().date())
    except NotPublished:
        return None


@router.get("/static/pay.css")
async def stylesheet() -> FileResponse:
    return FileResponse(HERE / "static" / "pay.css", media_type="text/css")


@router.get("/{token}", name="payment_page", response_class=HTMLResponse)
async def payment_page(request: Request, token: str) -> HTMLResponse:
    p = _page(request, token) if len(token) == 32 else None
    if p is None:
        return _missing(request)
    digits = barcode(p, request.app.state.settings.gs1_company_code)
    return templates.TemplateResponse(request, "pay.html", {
        "p": p, "token": token, "barcode": digits, "refused": request.query_params.get("refused"),
        "fm_company_code": request.app.state.settings.fm_company_code})


@router.post("/{token}")
async def choose_chain(request: Request, token: str, chain: str = Form("")) -> Response:
    """The customer's choice of chain: issues the reference (once), then shows the page again."""
    try:
        p = choose(store(request), ledger(request), token, chain, clock.now()) if len(token) == 32 else None
    except ChainRefused:
        return RedirectResponse(str(request.url_for("payment_page", token=token)) + "?refused=1", 303)
    except NotPublished:
        p = None
    if p is None:
        return _missing(request)
    return RedirectResponse(request.url_for("payment_page", token=token), status_code=303)


@router.get("/{token}/barcode.svg")
async def barcode_image(request: Request, token: str) -> Response:
    """The GS1-128 barcode as SVG (python-barcode draws it, FNC1 marking it GS1-128): vector bars
    stay sharp at any phone's width and pixel density, as a till's scanner needs."""
    p = _page(request, token) if len(token) == 32 else None
    digits = barcode(p, request.app.state.settings.gs1_company_code) if p else None
    if digits is None:
        return Response(status_code=404)
    out = io.BytesIO()
    get_barcode_class("gs1_128")(digits, writer=SVGWriter()).write(out, options={
        "module_width": 0.33, "module_height": 15, "quiet_zone": 3.3, "font_size": 6,
        "text_distance": 3, "compress": False})
    return Response(out.getvalue(), media_type="image/svg+xml")
