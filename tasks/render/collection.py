"""Collection report (収納結果) per merchant and day.

The day is the day we received the events (first ingestion, JST), so a day's report is final once
the day is over and a rerun gives the same report. It lists every 01 速報, 02 確報 and 03 速報取消
of the merchant's own orders (an event belongs to the order of its chain with that reference),
with counts and totals per chain and kind and a bar chart of the day by chain.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import duckdb

from tasks.clock import JST
from tasks.render.csvout import Column
from tasks.render.jobs import ReportJob
from tasks.render.labels import CHAIN_ORDER, KINDS, chain_name, jdate
from tasks.settings import Settings

CSV_COLUMNS = (
    Column("merchant_id", "加盟店番号"),
    Column("received_date", "受信日"),
    Column("kind", "種別コード", code=True),
    Column("kind_name", "種別"),
    Column("chain", "チェーンコード"),
    Column("chain_name", "チェーン"),
    Column("order_id", "注文番号", code=True),
    Column("payment_reference", "受付番号", code=True),
    Column("paid_date", "収納日"),
    Column("paid_time", "収納時刻"),
    Column("store_code", "店舗コード", code=True),
    Column("amount", "金額"),
    Column("stamp_flag", "印紙"),
    Column("transfer_date", "振込予定日"),
    Column("cancelled_at", "取消日時"),
)

_EVENTS = """
select e.kind, e.chain, o.order_id, e.reference, e.paid_date, e.paid_time, e.store_code,
       e.amount, e.stamp_flag, e.transfer_date, e.cancelled_at
from payment_events e
join orders o on o.chain = e.chain and o.payment_reference = e.reference
where o.merchant_id = $merchant
  and e.first_ingested_at >= $day and e.first_ingested_at < $next_day
order by e.paid_date, e.paid_time, e.chain, e.reference, e.store_code, e.kind, e.event_id
"""


def as_of_for(day: date) -> datetime:
    """A day's report is as of the next 00:00 JST: the day is over, the report final."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=JST)


def merchants_with_events(con: duckdb.DuckDBPyConnection, day: date) -> list[str]:
    return merchants_with_events_by_day(con, day, day).get(day, [])


def merchants_with_events_by_day(con: duckdb.DuckDBPyConnection, first: date,
                                 last: date) -> dict[date, list[str]]:
    """{day: its merchants with events received that day, in order} for the days first..last, in one
    query (report planning looks back several days every morning)."""
    rows = con.execute(
        """select distinct e.first_ingested_at::date as day, o.merchant_id from payment_events e
           join orders o on o.chain = e.chain and o.payment_reference = e.reference
           where e.first_ingested_at >= $first and e.first_ingested_at < $next_day order by 1, 2""",
        {"first": first, "next_day": last + timedelta(days=1)},
    ).fetchall()
    found: dict[date, list[str]] = {}
    for day, merchant_id in rows:
        found.setdefault(day, []).append(merchant_id)
    return found


def merchant_header(con: duckdb.DuckDBPyConnection, merchant_id: str) -> dict:
    row = con.execute(
        "select merchant_id, name, email from current_merchants where merchant_id = ?", [merchant_id]
    ).fetchone()
    if row is None:
        return {"merchant_id": merchant_id, "name": merchant_id, "email": None}
    return {"merchant_id": row[0], "name": row[1], "email": row[2]}


def _hhmmss(t: str) -> str:
    return f"{t[0:2]}:{t[2:4]}:{t[4:6]}" if len(t) == 6 else t


def gather(con: duckdb.DuckDBPyConnection, merchant_id: str, day: date, settings: Settings,
           as_of: datetime) -> ReportJob:
    """The report of `merchant_id` for events received on `day`."""
    rows = con.execute(_EVENTS, {"merchant": merchant_id, "day": day,
                                 "next_day": day + timedelta(days=1)}).fetchall()
    events = [
        {
            "kind": k, "kind_name": KINDS.get(k, k), "chain": c, "chain_name": chain_name(c),
            "order_id": oid, "reference": ref, "paid_date": pd, "paid_time": _hhmmss(pt),
            "store_code": sc, "amount": int(amt), "stamp": bool(st), "transfer_date": td,
            "cancelled_at": ca,
        }
        for k, c, oid, ref, pd, pt, sc, amt, st, td, ca in rows
    ]
    chains = sorted({e["chain"] for e in events}, key=CHAIN_ORDER.index)
    summary = []
    for c in chains:
        row = {"chain": c, "chain_name": chain_name(c)}
        for k in KINDS:
            sel = [e["amount"] for e in events if e["chain"] == c and e["kind"] == k]
            row[k] = {"count": len(sel), "total": sum(sel)}
        summary.append(row)
    totals = {k: {"count": sum(r[k]["count"] for r in summary), "total": sum(r[k]["total"] for r in summary)}
              for k in KINDS}
    top = max([r[k]["total"] for r in summary for k in ("01", "02")] or [0])
    merchant = merchant_header(con, merchant_id)
    context = {
        "title": "収納結果",
        "company_name": settings.company_name,
        "merchant": {"merchant_id": merchant["merchant_id"], "name": merchant["name"]},
        "day": day,
        "day_label": jdate(day),
        "events": events,
        "summary": summary,
        "totals": totals,
        "chart_max": top,
        "kinds": KINDS,
    }
    csv_rows = tuple(
        (merchant_id, day, e["kind"], e["kind_name"], e["chain"], e["chain_name"], e["order_id"],
         e["reference"], e["paid_date"], e["paid_time"], e["store_code"], e["amount"],
         int(e["stamp"]), e["transfer_date"], e["cancelled_at"])
        for e in events
    )
    return ReportJob(
        kind="collection", merchant_id=merchant_id, subject=day.isoformat(),
        template="collection.html.j2", context=context, csv_columns=CSV_COLUMNS, csv_rows=csv_rows,
        as_of=as_of, title=f"収納結果 {day.isoformat()} {merchant_id}",
    )
