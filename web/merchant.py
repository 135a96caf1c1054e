"""The merchant 管理画面 (portal.md): one merchant's pages, for its users and for operators."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request

from tasks import clock
from tasks.portal.home import home
from tasks.portal.orders import PAGE, STATUSES, Search, detail, search
from tasks.render.labels import CHAIN_ORDER
from web.pages import page
from web.reading import Scope, ScopeDep
from web.session import NotFound

router = APIRouter(prefix="/merchants/{merchant_id}")


def view(request: Request, scope: Scope, template: str, title: str, **context):
    return page(request, template, title=title, merchant_id=scope.merchant_id,
                merchant_name=scope.merchant_name, **context)


def day(text: str | None) -> date | None:
    """A date from the search form; an unreadable one is ignored (the form shows what was used)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/")
def home_page(request: Request, scope: ScopeDep):
    return view(request, scope, "home.html.j2", "ホーム",
                h=home(scope.con, scope.merchant_id, clock.now().date()))


@router.get("/orders")
def orders_page(request: Request, scope: ScopeDep, page_no: int = 1):
    p = request.query_params
    q = Search(order_id=p.get("order_id") or None, reference=p.get("reference") or None,
               status=p.get("status") if p.get("status") in STATUSES else None,
               chain=p.get("chain") if p.get("chain") in CHAIN_ORDER else None,
               site_id=p.get("site_id") or None,
               ordered_from=day(p.get("ordered_from")), ordered_to=day(p.get("ordered_to")),
               paid_from=day(p.get("paid_from")), paid_to=day(p.get("paid_to")),
               due_from=day(p.get("due_from")), due_to=day(p.get("due_to")))
    rows = search(scope.con, scope.merchant_id, q, page_no)
    base = urlencode(q.given())
    return view(request, scope, "orders.html.j2", "収納状況", q=q.given(), rows=rows[:PAGE],
                page_no=page_no, more=len(rows) > PAGE, base=base, statuses=STATUSES, chains=CHAIN_ORDER)


@router.get("/orders/{order_id}")
def order_page(order_id: str, request: Request, scope: ScopeDep):
    order = detail(scope.con, scope.merchant_id, order_id)
    if order is None:
        raise NotFound()
    return view(request, scope, "order.html.j2", f"注文詳細 {order_id}", o=order)
