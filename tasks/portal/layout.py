"""How the published copy is laid out for the web's pages at ten million orders (docs/web.md).

Written by `Warehouse.publish()` into the new analytics.duckdb before it is renamed into place,
so a reader sees the rows, their order and the summary of one and the same publish.

- Each table of `ORDER` is copied sorted by the keys the pages look it up by: DuckDB keeps a
  min/max per column and row group (about 122,880 rows), so a filter on the leading keys reads the
  few row groups that can hold the rows instead of every row (注文詳細, 収納状況 by order id).
- `portal_order_list`: the orders as 収納状況 lists them (with status and payment), sorted by
  merchant and order date: a search by dates reads those days' row groups, with no join.
- `portal_daily_payments`: per merchant, paid day and chain, the counts and amounts ホーム and
  日次推移 show, so that those pages read a few thousand rows instead of aggregating every payment.

    laid_out(table, select) -> str      # the SELECT that fills the copy's `table`, in its order
    write_summaries(con, "analytics")   # the summary tables, from the copy's own rows
    TABLES                              # the tables a copy must hold for the pages (else 503)
"""

from __future__ import annotations

import duckdb

ORDER: dict[str, str] = {  # 注文詳細 and 収納状況 by order id: one order's rows by its keys
    "orders": "merchant_id, order_id",
    "order_status": "merchant_id, order_id",
    "payments": "merchant_id, order_id, payment_id",
    "feed_records": "chain, reference, file_id, record_no",
}

# 収納状況: each order with what the search shows of its status and payment, sorted by order date
# (the page's order), so that a date range reads the row groups of those days only. `status` is
# null for an order reconciliation has not seen yet (the page shows awaiting_payment).
ORDER_LIST = """
create table {db}.main.portal_order_list as
select o.merchant_id, o.order_id, o.site_id, o.chain, o.payment_reference, o.amount, o.ordered_at,
       o.due_date, s.status, p.paid_date + cast(strptime(p.paid_time, '%H%M%S') as time) as paid_at,
       p.confirmed_ingested_at as confirmed_at, p.settlement_id as settled_in
from {db}.main.orders o
left join {db}.main.order_status s on s.merchant_id = o.merchant_id and s.order_id = o.order_id
left join {db}.main.payments p
       on p.payment_id = s.payment_id and p.merchant_id = o.merchant_id and p.order_id = o.order_id
order by o.merchant_id, o.ordered_at, o.order_id
"""

# One row per (merchant, paid day, chain) with any payment; amounts are integer yen.
DAILY_PAYMENTS = """
create table {db}.main.portal_daily_payments as
select merchant_id, paid_date, chain,
       count(*) filter (where has_prelim) as prelim_count,
       coalesce(sum(amount) filter (where has_prelim), 0) as prelim_amount,
       count(*) filter (where live) as live_count,
       coalesce(sum(amount) filter (where live), 0) as live_amount,
       count(*) filter (where live and has_prelim and not has_confirmed) as waiting_count,
       coalesce(sum(amount) filter (where live and has_prelim and not has_confirmed), 0) as waiting_amount
from {db}.main.payments
where merchant_id is not null
group by all
order by merchant_id, paid_date, chain
"""


TABLES = ("portal_daily_payments", "portal_order_list")  # what a copy published before them lacks


def laid_out(table: str, select: str) -> str:
    """`select` (the copy's rows of `table`) in the order the web reads `table` by."""
    order = ORDER.get(table)
    return f"select * from ({select}) order by {order}" if order else select


def write_summaries(con: duckdb.DuckDBPyConnection, db: str) -> None:
    """The web's summary tables in database `db` (the new copy), from its own `payments`."""
    con.execute(DAILY_PAYMENTS.format(db=db))
    con.execute(ORDER_LIST.format(db=db))
