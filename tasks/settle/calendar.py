"""Settlement calendar (入金サイクル): periods by paid date, payout dates and cut-offs.

The calendar is a table (rules.md, "Settlement calendar"): for each cycle, the periods of a month as
(first day, last day) and the payout rule as (months after the period's month, day of that month).
`END` stands for the month's last day. A payout date that is not a bank business day moves to the
next one; the cut-off is 23:59:59 JST on the third bank business day before the payout date.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import duckdb

from tasks.bank_calendar import add_business_days, next_business_day
from tasks.errors import KonbiniError

END = 31  # "the month's last day"; clipped to the month's length

# cycle -> [(period first day, period last day, (months after, payout day))]
CALENDAR: dict[int, list[tuple[int, int, tuple[int, int]]]] = {
    1: [(1, END, (1, 15))],
    2: [(1, 15, (0, END)), (16, END, (1, 15))],
    6: [
        (1, 5, (0, 15)),
        (6, 10, (0, 20)),
        (11, 15, (0, 25)),
        (16, 20, (0, END)),
        (21, 25, (1, 5)),
        (26, END, (1, 10)),
    ],
}
CYCLES = tuple(CALENDAR)
CUTOFF_BUSINESS_DAYS = 3
CUTOFF_TIME = time(23, 59, 59)


@dataclass(frozen=True, order=True)
class Period:
    """One settlement period of a cycle. `cutoff` is a naive JST datetime (warehouse convention)."""

    start: date
    end: date
    cycle: int
    nominal_payout: date  # before moving off bank holidays
    payout_date: date
    cutoff: datetime

    @property
    def month(self) -> tuple[int, int]:
        return (self.start.year, self.start.month)


def _day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, _cal.monthrange(year, month)[1]))


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    idx = year * 12 + (month - 1) + n
    return idx // 12, idx % 12 + 1


def payout_cutoff(payout_date: date) -> datetime:
    """23:59:59 JST on the third bank business day before the payout date."""
    return datetime.combine(add_business_days(payout_date, -CUTOFF_BUSINESS_DAYS), CUTOFF_TIME)


def periods_of_month(cycle: int, year: int, month: int) -> list[Period]:
    """The periods of `cycle` whose days lie in the given month, in order."""
    if cycle not in CALENDAR:
        raise ValueError(f"settlement cycle {cycle} is not one of {CYCLES}")
    return list(_periods_of_month(cycle, year, month))


@lru_cache(maxsize=4096)
def _periods_of_month(cycle: int, year: int, month: int) -> tuple[Period, ...]:
    # The calendar is fixed (table and bank holidays): each month is computed once per process,
    # not once per day looked up (a settlement run looks up every day of ~5 months per cycle).
    out = []
    for first, last, (months_after, payout_day) in CALENDAR[cycle]:
        py, pm = _add_months(year, month, months_after)
        nominal = _day(py, pm, payout_day)
        payout = next_business_day(nominal)
        out.append(
            Period(
                start=_day(year, month, first),
                end=_day(year, month, last),
                cycle=cycle,
                nominal_payout=nominal,
                payout_date=payout,
                cutoff=payout_cutoff(payout),
            )
        )
    return tuple(out)


def period_of(cycle: int, paid_date: date) -> Period:
    """The period of `cycle` that contains `paid_date`."""
    for p in periods_of_month(cycle, paid_date.year, paid_date.month):
        if p.start <= paid_date <= p.end:
            return p
    raise AssertionError("the calendar table covers every day of a month")  # pragma: no cover


def periods_between(cycle: int, first: date, last: date) -> list[Period]:
    """Every period of `cycle` that overlaps [first, last], in order."""
    out: list[Period] = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.extend(p for p in periods_of_month(cycle, y, m) if p.end >= first and p.start <= last)
        y, m = _add_months(y, m, 1)
    return out


def next_period(period: Period) -> Period:
    return period_of(period.cycle, period.end + timedelta(days=1))


def merchant_cycle(con: duckdb.DuckDBPyConnection, merchant_id: str) -> int:
    """The settlement cycle of a merchant in the current master data."""
    row = con.execute(
        "select settlement_cycle from current_merchants where merchant_id = ?", [merchant_id]
    ).fetchall()
    if not row:
        raise KonbiniError(f"--merchant {merchant_id}: not in the current master data")
    return int(row[0][0])
