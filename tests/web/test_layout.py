"""The published copy laid out for the web (tasks/portal/layout.py): its sorted tables and summaries
give the pages exactly what the warehouse's own rows give (checked against the plain queries over
orders, order_status and payments on the sample world)."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from tasks.portal.home import home
from tasks.portal.orders import PAGE, STATUSES, Search, search
from tasks.portal.published import Reader
from tasks.portal.rows import dicts
from tasks.portal.trend import daily
from tasks.warehouse import Warehouse

MERCHANTS = ("M000001", "M000002", "M000003")

# what 収納状況 lists, from the tables themselves; `raw_status` is null for an order not reconciled yet
ORDERS_JOINED = """
select o.order_id, o.site_id, o.chain, o.payment_reference, o.amount, o.ordered_at, o.due_date,
       coalesce(s.status, 'awaiting_payment') as status,
       p.paid_date + cast(strptime(p.paid_time, '%H%M%S') as time) as paid_at,
       p.confirmed_ingested_at as confirmed_at, p.settlement_id as settled_in, s.status as raw_status
from orders o
left join order_status s on s.merchant_id = o.merchant_id and s.order_id = o.order_id
left join payments p on p.payment_id = s.payment_id and p.merchant_id = o.merchant_id
     and p.order_id = o.order_id
where o.merchant_id = $m
order by o.ordered_at desc, o.order_id
"""


def _all_pages(con, merchant: str, q: Search) -> list[dict]:
    rows, page = [], 1
    while True:
        found = search(con, merchant, q, page)
        rows += found[:PAGE]
        if len(found) <= PAGE:
            return rows
        page += 1


def _expected(joined: list[dict], keep) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "raw_status"} for r in joined if keep(r)]


def test_search_lists_what_the_joined_tables_hold(world):
    with Warehouse(world.warehouse_path).write() as con:  # an order reconciliation has not seen yet
        con.execute("insert into orders select * replace ('NEW-1' as order_id, '9999999999999' as"
                    " payment_reference) from orders where merchant_id = 'M000001' limit 1")
    Warehouse(world.warehouse_path).publish()
    con = Reader(world).cursor()
    for m in MERCHANTS:
        joined = dicts(con, ORDERS_JOINED, {"m": m})
        assert joined and _all_pages(con, m, Search()) == _expected(joined, lambda r: True)
        for status in STATUSES:
            assert _all_pages(con, m, Search(status=status)) == _expected(
                joined, lambda r, s=status: r["raw_status"] == s)
        for r in joined:
            assert search(con, m, Search(order_id=r["order_id"])) == _expected([r], lambda r: True)
        days = sorted({r["ordered_at"].date() for r in joined})
        start, end = days[len(days) // 2], days[len(days) // 2] + timedelta(days=2)
        assert _all_pages(con, m, Search(ordered_from=start, ordered_to=end)) == _expected(
            joined, lambda r, start=start, end=end: start <= r["ordered_at"].date() <= end)
    assert search(con, "M000001", Search(order_id="NEW-1"))[0]["status"] == "awaiting_payment"
    assert search(con, "M000002", Search(order_id="NEW-1")) == []  # another merchant's order id


def test_home_and_trend_add_up_the_payments(world):
    con = Reader(world).cursor()
    paid_days = [d for (d,) in con.execute("select distinct paid_date from payments order by 1").fetchall()]
    assert paid_days
    for m in MERCHANTS:
        for today in [*paid_days, paid_days[-1] + timedelta(days=1)]:
            prelim = dicts(con, """
                select chain, paid_date, count(*) as count, sum(amount) as amount from payments
                where merchant_id = $m and has_prelim and paid_date in ($d, $d - 1)
                group by all order by chain, paid_date""", {"m": m, "d": today})
            h = home(con, m, today)
            shown = [c[k] for c in h["prelim"] for k in ("yesterday", "today") if c[k]]
            assert shown == prelim
        waiting = dicts(con, """
            select count(*) as count, coalesce(sum(amount), 0) as amount from payments
            where merchant_id = $m and live and has_prelim and not has_confirmed""", {"m": m})[0]
        assert home(con, m, paid_days[0])["waiting"] == waiting
        live = dicts(con, """
            select paid_date, chain, count(*) as count, sum(amount) as amount from payments
            where merchant_id = $m and live group by all order by paid_date, chain""", {"m": m})
        assert daily(con, m, date(2000, 1, 1), date(2100, 1, 1)) == live
        assert daily(con, m, paid_days[-1], paid_days[-1]) == [r for r in live
                                                                if r["paid_date"] == paid_days[-1]]


def test_the_copy_is_sorted_for_the_pages_and_the_warehouse_is_untouched(world):
    def in_stored_order(path, sql: str) -> list[tuple]:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(sql).fetchall()

    copy = world.analytics_path
    orders = in_stored_order(copy, "select merchant_id, order_id from orders order by rowid")
    listed = in_stored_order(copy, "select merchant_id, ordered_at, order_id from portal_order_list"
                                   " order by rowid")
    records = in_stored_order(copy, "select chain, reference from feed_records order by rowid")
    assert len(orders) > 1 and orders == sorted(orders)
    assert len(listed) == len(orders) and listed == sorted(listed)
    assert len(records) > 1 and records == sorted(records)
    tables = "select table_name from duckdb_tables() where table_name like 'portal%'"
    assert in_stored_order(world.warehouse_path, tables) == []
    assert sorted(in_stored_order(copy, tables)) == [("portal_daily_payments",), ("portal_order_list",)]
