"""The pages when the published copy cannot serve them: nothing published yet, or a copy published
before the web's tables (portal_daily_payments, portal_order_list: an upgrade not yet followed by a
writing flow). A clear page (503, the headers of every page, no traceback) and one log line."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import duckdb
import pytest

from tasks.portal.layout import TABLES
from tests.web.conftest import login, serve
from web.headers import SECURITY_HEADERS

PAGES = ["/merchants/M000001/", "/merchants/M000001/orders", "/merchants/M000001/orders/O-1",
         "/merchants/M000001/trend", "/merchants/M000001/downloads"]


def old_copy(settings) -> None:
    """The published copy as an older version wrote it: without the web's summary tables."""
    with duckdb.connect(str(settings.analytics_path)) as con:
        for table in TABLES:
            con.execute(f"drop table {table}")


def nothing_published(settings) -> None:
    settings.analytics_path.unlink()


def unavailable(r, text: str = "まだ公開されていません") -> None:
    assert r.status_code == 503, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    assert text in r.text and "Traceback" not in r.text
    for name, value in SECURITY_HEADERS.items():
        assert r.headers[name] == value
    assert r.headers["cache-control"] == "no-store"


@contextmanager
def logged_in(settings, username: str):
    """A client of the app on a real server, logged in as `username`."""
    for running in serve(settings):
        with running.client() as c:
            assert login(c, username).status_code == 303
            yield c


@pytest.mark.parametrize("make", [old_copy, nothing_published])
def test_pages_say_not_published_yet(world, make, caplog):
    make(world)
    with caplog.at_level(logging.WARNING, logger="konbini.web"), logged_in(world, "shop1") as c:
        for path in PAGES:
            unavailable(c.get(path))
        assert c.get("/login").status_code == 200  # what needs no copy still answers
    lines = [r for r in caplog.records if r.name == "konbini.web"]
    assert len(lines) == len(PAGES)
    assert all("\n" not in r.getMessage() and "/merchants/M000001" in r.getMessage() for r in lines)


def test_operator_console_says_not_published_yet(world):
    old_copy(world)
    with logged_in(world, "ops") as c:
        unavailable(c.get("/console/"))


def test_pages_come_back_with_the_next_publish(world):
    from tasks.warehouse import Warehouse

    old_copy(world)
    with logged_in(world, "shop1") as c:
        unavailable(c.get("/merchants/M000001/"))
        Warehouse(world.warehouse_path).publish()
        assert c.get("/merchants/M000001/").status_code == 200
        assert c.get("/merchants/M000001/orders").status_code == 200
