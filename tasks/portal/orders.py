"""収納状況 (search, 50 a page) and 注文詳細 (one order: events, settlement line, notifications)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import duckdb

from tasks.portal.rows import dicts, one

PAGE = 50
STATUSES = ("awaiting_payment", "paid", "confirmed", "settled", "cancelled", "expired")


@dataclass(frozen=True)
class Search:
    """The search form; every field optional. Dates are inclusive."""

    order_id: str | None = None
    reference: str | None = None
    status: str | None = None
    chain: str | None = None
    site_id: str | None = None
    ordered_from: date | None = None
    ordered_to: date | None = None
    paid_from: date | None = None
    paid_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None

    def given(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: v for k, v in values.items() if v not in (None, "")}


# (field, condition): each given field adds its condition; the value is bound as $<field>.
_CONDITIONS = (
    ("order_id", "o.order_id = $order_id"),
    ("ordered_at", "o.ordered_at = $ordered_at"),  # the order's, when found by id (below)
    ("reference", "o.payment_reference = $reference"),
    ("status", "o.status = $status"),
    ("chain", "o.chain = $chain"),
    ("site_id", "o.site_id = $site_id"),
    ("ordered_from", "o.ordered_at >= $ordered_from"),
    ("ordered_to", "o.ordered_at < $ordered_to + 1"),
    # one payment of the order paid within the range (one paid after its due date counts too, though
    # it is not "the order's payment"); both ends are bound, an open end as null
    ("paid", "exists (select 1 from payments x where x.merchant_id = o.merchant_id"
             " and x.order_id = o.order_id and x.paid_date >= coalesce($paid_from, date '0001-01-01')"
             " and x.paid_date <= coalesce($paid_to, date '9999-12-31'))"),
    ("due_from", "o.due_date >= $due_from"),
    ("due_to", "o.due_date <= $due_to"),
)

# One query on the publish's order list (tasks/portal/layout.py): the orders with their status and
# payment, sorted by merchant and order date, so a date range reads only its days' row groups.
_PAGE = """
select o.order_id, o.site_id, o.chain, o.payment_reference, o.amount, o.ordered_at, o.due_date,
       coalesce(o.status, 'awaiting_payment') as status, o.paid_at, o.confirmed_at, o.settled_in
from portal_order_list o
where o.merchant_id = $merchant {conditions}
order by o.ordered_at desc, o.order_id
limit {limit} offset {offset}
"""


def search(con: duckdb.DuckDBPyConnection, merchant_id: str, q: Search, page: int = 1) -> list[dict]:
    """One page of the merchant's orders matching `q` (PAGE + 1 rows are read to know if more follow)."""
    given = q.given()
    if q.order_id:  # its order date from `orders` (sorted by order id), which finds it in the list
        found = one(con, "select ordered_at from orders where merchant_id = $m and order_id = $o",
                    {"m": merchant_id, "o": q.order_id})
        if found is None:
            return []
        given["ordered_at"] = found["ordered_at"]
    if q.paid_from or q.paid_to:
        given.update(paid=True, paid_from=q.paid_from, paid_to=q.paid_to)
    conditions = "".join(f" and {cond}" for name, cond in _CONDITIONS if name in given)
    sql = _PAGE.format(conditions=conditions, limit=PAGE + 1, offset=(max(page, 1) - 1) * PAGE)
    return dicts(con, sql, {"merchant": merchant_id, **{k: v for k, v in given.items() if k != "paid"}})


def detail(con: duckdb.DuckDBPyConnection, merchant_id: str, order_id: str) -> dict | None:
    """The order with its customer, events, cancellation, settlement line and notifications;
    None when the merchant has no such order (another merchant's gives None too)."""
    key = {"m": merchant_id, "o": order_id}
    order = one(con, """
        select o.*, coalesce(s.status, 'awaiting_payment') as status, s.payment_id,
               c.cancelled_at, f.name as file_name
        from orders o
        left join order_status s on s.merchant_id = o.merchant_id and s.order_id = o.order_id
        left join order_cancellations c on c.merchant_id = o.merchant_id and c.order_id = o.order_id
        left join inbound_files f on f.file_id = o.file_id
        where o.merchant_id = $m and o.order_id = $o""", key)
    if order is None:
        return None
    order["customer"] = one(con, "select customer_name_kana, customer_phone, customer_email from"
                                 " private.order_customers where merchant_id = $m and order_id = $o", key)
    ref = {"chain": order["chain"], "ref": order["payment_reference"]}
    order["events"] = dicts(con, """
        select r.kind, r.paid_date, r.paid_time, r.store_code, r.amount, r.stamp_flag, r.transfer_date,
               r.cancelled_at, min(r.ingested_at) as received_at, count(*) as sightings,
               string_agg(f.name || ' #' || r.record_no, ', ' order by r.ingested_at, r.file_id) as files
        from feed_records r join inbound_files f using (file_id)
        where r.chain = $chain and r.reference = $ref
        group by all order by r.paid_date, r.paid_time, received_at, r.kind""", ref)
    order["settlement"] = dicts(con, """
        select l.settlement_id, l.kind, l.amount, l.fee, l.stamp, l.state, s.payout_date
        from v_settlement_lines l join v_settlements s using (settlement_id)
        where s.merchant_id = $m and l.order_id = $o order by l.settlement_id, l.line_no""", key)
    order["notifications"] = dicts(con, """
        select event_id, type, state, attempts, last_status_code, happened_at, delivered_at
        from notification_outbox where merchant_id = $m and order_id = $o
        order by happened_at, event_id""", key)
    return order
