"""日次推移 (server-rendered SVG) and 速報通知 (deliveries, replay, test notification)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from tasks import clock
from tasks.portal.notifications import deliveries, replay_one, send_test
from tasks.portal.trend import MAX_MONTHS, daily
from tasks.warehouse import Warehouse
from web.chart import chart
from web.merchant import view
from web.reading import ScopeDep
from web.session import FormDep, NotFound, log, now_jst

router = APIRouter(prefix="/merchants/{merchant_id}")


@router.get("/trend")
def trend_page(request: Request, scope: ScopeDep, months: int = 3):
    months = min(max(months, 1), MAX_MONTHS)
    end = clock.now().date()
    start = end - timedelta(days=round(months * 30.44)) + timedelta(days=1)
    rows = daily(scope.con, scope.merchant_id, start, end)
    return view(request, scope, "trend.html.j2", "日次推移", months=months, start=start, end=end,
                amount=chart(rows, start, end, "amount"), count=chart(rows, start, end, "count"))


def notifications_view(request: Request, scope: ScopeDep, status_code: int = 200, **context):
    resp = view(request, scope, "notifications.html.j2", "速報通知",
                rows=deliveries(scope.con, scope.merchant_id), **context)
    resp.status_code = status_code
    return resp


@router.get("/notifications")
def notifications_page(request: Request, scope: ScopeDep):
    return notifications_view(request, scope)


@router.post("/notifications/{event_id}/replay")
def replay(event_id: str, request: Request, scope: ScopeDep, form: FormDep):
    settings = request.app.state.settings
    summary = replay_one(Warehouse(settings.warehouse_path), settings, scope.merchant_id, event_id,
                         f"web:{scope.user.username}", now_jst())
    if summary is None:
        raise NotFound()
    log(request, scope.user, "replay", f"merchant={scope.merchant_id} event={event_id}")
    done = f"{event_id} を再送しました（配信 {summary['delivered']} 件、失敗 {summary['failed']} 件）"
    return notifications_view(request, scope, flash=done)


@router.post("/notifications/test")
def test_notification(request: Request, scope: ScopeDep, form: FormDep):
    settings = request.app.state.settings
    url, a = send_test(Warehouse(settings.warehouse_path), settings, scope.merchant_id, now_jst())
    log(request, scope.user, "test_notification",
        f"merchant={scope.merchant_id} status={a.status_code} error={a.error or '-'}")
    if a.error:
        return notifications_view(request, scope, error=f"テスト通知 {url}: 失敗しました（{a.error}）")
    return notifications_view(request, scope, flash=f"テスト通知 {url}: 応答 {a.status_code}")
