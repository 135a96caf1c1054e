"""Merchant A never sees merchant B's objects (404, not 403) nor B's rows in its lists and downloads;
merchant users never reach the console. Every route taking an id has a case (checked below)."""

from __future__ import annotations

import csv
import io

from web.app import create_app

from .conftest import csrf_of, login

GETS_AS_SHOP1 = [  # (path, why it must be 404)
    "/merchants/M000002/",  # another merchant's pages, every one of them
    "/merchants/M000002/orders",
    "/merchants/M000002/orders/B-2001",
    "/merchants/M000002/downloads",
    "/merchants/M000002/downloads/collection?start=2026-11-01&end=2026-11-30",
    "/merchants/M000002/statements",
    "/merchants/M000002/trend",
    "/merchants/M000002/notifications",
    "/merchants/M000002/schedule/2026-12.pdf",
    "/merchants/M000001/orders/B-2001",  # B's order under A's own merchant id
    "/merchants/M999999/",  # unknown merchant: the same answer
    "/console/",
    "/console/exceptions",
    "/console/files",
    "/console/sequences",
    "/console/sources",
    "/console/notifications",
]
# every path template with a parameter, and the cases above/below that exercise it
COVERED = {
    "/merchants/{merchant_id}/", "/merchants/{merchant_id}/orders",
    "/merchants/{merchant_id}/orders/{order_id}",
    "/merchants/{merchant_id}/downloads", "/merchants/{merchant_id}/downloads/collection",
    "/merchants/{merchant_id}/statements", "/merchants/{merchant_id}/statements/{settlement_id}.{fmt}",
    "/merchants/{merchant_id}/schedule/{month}.{fmt}", "/merchants/{merchant_id}/trend",
    "/merchants/{merchant_id}/notifications", "/merchants/{merchant_id}/notifications/{event_id}/replay",
    "/merchants/{merchant_id}/notifications/test", "/console/exceptions/{exception_id}/resolve",
}


def test_every_route_with_an_id_has_an_isolation_case(tmp_path):
    from tasks.settings import Settings

    paths = {r.path for r in create_app(Settings(data_dir=tmp_path)).routes if "{" in getattr(r, "path", "")}
    paths -= {"/static"}
    assert paths - COVERED == set(), "add isolation cases for these routes"


def _ids_of(settings, sql: str) -> list[str]:
    """From the warehouse itself (the server holds the published copy open in this process)."""
    from tasks.warehouse import Warehouse

    with Warehouse(settings.warehouse_path).read() as con:
        return [r[0] for r in con.execute(sql).fetchall()]


def test_merchant_a_gets_404_for_everything_of_b(shared_web):
    b_settlements = _ids_of(shared_web.settings,
                            "select settlement_id from v_settlements where merchant_id <> 'M000001'")
    assert b_settlements
    with shared_web.client() as c:
        login(c, "shop1")
        paths = GETS_AS_SHOP1 + [f"/merchants/M000001/statements/{s}.{f}" for s in b_settlements
                                 for f in ("pdf", "csv")]
        paths += [f"/merchants/M000002/statements/{s}.pdf" for s in b_settlements]
        paths += [f"/merchants/M000003/statements/{s}.pdf" for s in b_settlements]
        wrong = [(p, r.status_code) for p in paths if (r := c.get(p)).status_code != 404]
    assert wrong == []


def test_posts_on_another_merchants_objects_are_404_and_change_nothing(web):
    # only M000001 has a notify_url in the samples: shop2 (M000002) tries M000001's events
    a_events = _ids_of(web.settings,
                       "select event_id from notification_outbox where merchant_id = 'M000001' order by 1")
    assert a_events
    exceptions = _ids_of(web.settings, "select id from v_open_exceptions order by id")
    with web.client() as c:
        login(c, "shop2")
        token = csrf_of(c.get("/merchants/M000002/").text)
        posts = [f"/merchants/M000002/notifications/{e}/replay" for e in a_events[:2]]
        posts += [f"/merchants/M000001/notifications/{e}/replay" for e in a_events[:2]]
        posts += ["/merchants/M000001/notifications/test", f"/console/exceptions/{exceptions[0]}/resolve"]
        form = {"csrf_token": token, "action": "dismiss", "note": "x"}
        wrong = [(p, r.status_code) for p in posts if (r := c.post(p, data=form)).status_code != 404]
    assert wrong == []
    assert _ids_of(web.settings, "select id from v_open_exceptions order by id") == exceptions
    assert _ids_of(web.settings, "select event_id from notification_replays") == []


def test_lists_and_downloads_of_a_hold_only_a_rows(shared_web):
    b_orders = _ids_of(shared_web.settings, "select order_id from orders where merchant_id <> 'M000001'")
    with shared_web.client() as c:
        login(c, "shop1")
        pages = [c.get(f"/merchants/M000001{p}").text
                 for p in ("/", "/orders", "/statements", "/notifications", "/trend")]
        download = c.get("/merchants/M000001/downloads/collection",
                         params={"start": "2026-11-01", "end": "2026-11-30", "format": "csv"})
    for text in pages:
        assert not [o for o in b_orders if o in text]
        assert "M000002" not in text and "M000003" not in text
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))[1:]
    assert rows and {r[0] for r in rows} == {"M000001"} and not {r[6] for r in rows} & set(b_orders)
