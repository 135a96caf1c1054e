"""Settlement schedule (入金スケジュール表) per merchant for a month.

Made on the 1st of each month for the next month: the periods of the merchant's cycle whose paid
dates fall in that month, each with its cut-off and payout date (moved off bank holidays), taken
from the settlement calendar (tasks.settle.calendar). Active and suspended merchants get one;
terminated merchants do not (they take no new orders; their remaining settlements still come).
"""

from __future__ import annotations

from datetime import date, datetime, time

import duckdb

from tasks.clock import JST
from tasks.errors import KonbiniError
from tasks.render.csvout import Column
from tasks.render.jobs import ReportJob
from tasks.render.labels import jdate
from tasks.settings import Settings
from tasks.settle.calendar import periods_of_month

CSV_COLUMNS = (
    Column("merchant_id", "加盟店番号"),
    Column("month", "対象月"),
    Column("settlement_cycle", "入金サイクル(月の回数)"),
    Column("period_start", "対象期間開始"),
    Column("period_end", "対象期間終了"),
    Column("cutoff", "締め日時"),
    Column("payout_date", "入金日"),
    Column("nominal_payout_date", "休業日調整前の入金日"),
)


def next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def as_of_for(month: date) -> datetime:
    """A schedule is made on the 1st of the month before the one it is about, at 00:00 JST."""
    made = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    return datetime.combine(made, time(0), tzinfo=JST)


def merchants_due(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select merchant_id from current_merchants where status <> 'terminated' order by merchant_id"
    ).fetchall()
    return [r[0] for r in rows]


def gather(con: duckdb.DuckDBPyConnection, merchant_id: str, month: date, settings: Settings,
           as_of: datetime) -> ReportJob:
    """The schedule of `merchant_id` for the month starting at `month` (its 1st)."""
    row = con.execute(
        "select name, settlement_cycle from current_merchants where merchant_id = ?", [merchant_id]
    ).fetchone()
    if row is None:
        raise KonbiniError(f"merchant {merchant_id} is not in the current master data")
    name, cycle = row
    periods = periods_of_month(int(cycle), month.year, month.month)
    rows = [
        {
            "start": p.start, "end": p.end, "start_label": jdate(p.start), "end_label": jdate(p.end),
            "cutoff": p.cutoff, "cutoff_label": f"{jdate(p.cutoff.date())} {p.cutoff:%H:%M:%S}",
            "payout_date": p.payout_date, "payout_label": jdate(p.payout_date),
            "moved": p.payout_date != p.nominal_payout, "nominal_label": jdate(p.nominal_payout),
        }
        for p in periods
    ]
    subject = f"{month:%Y-%m}"
    context = {
        "title": "入金スケジュール表",
        "company_name": settings.company_name,
        "merchant": {"merchant_id": merchant_id, "name": name},
        "month_label": f"{month.year}年{month.month}月",
        "cycle": int(cycle),
        "rows": rows,
        "made_on": jdate(as_of.date()),
    }
    csv_rows = tuple(
        (merchant_id, subject, int(cycle), r["start"], r["end"], r["cutoff"], r["payout_date"],
         periods[i].nominal_payout)
        for i, r in enumerate(rows)
    )
    return ReportJob(kind="schedule", merchant_id=merchant_id, subject=subject, template="schedule.html.j2",
                     context=context, csv_columns=CSV_COLUMNS, csv_rows=csv_rows, as_of=as_of,
                     title=f"入金スケジュール表 {subject} {merchant_id}")
