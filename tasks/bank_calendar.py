"""Bank business days in Japan (銀行営業日), shared by reconciliation and settlement.

Holidays come from the `holidays` package (JP public holidays, substitute and citizens' holidays
included, plus its `bank` category: Dec 31 – Jan 3); Saturdays and Sundays are closed too.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[date]:
    jp = holidays.country_holidays("JP", years=year, categories=("public", "bank"))
    return frozenset(jp.keys())


def is_bank_holiday(d: date) -> bool:
    return d.weekday() >= 5 or d in _holidays_of(d.year)


def is_business_day(d: date) -> bool:
    return not is_bank_holiday(d)


def next_business_day(d: date) -> date:
    """`d` itself when it is a business day, else the next one (a payout date that falls on a
    holiday moves forward)."""
    while is_bank_holiday(d):
        d += timedelta(days=1)
    return d


def add_business_days(d: date, n: int) -> date:
    """The n-th business day after `d` (n >= 1), or before it for negative n."""
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    while remaining:
        d += timedelta(days=step)
        if is_business_day(d):
            remaining -= 1
    return d

