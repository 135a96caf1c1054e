"""The scope of an incremental run: the named look-back of PRELIM_NOT_CONFIRMED deadlines."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tasks.reconcile.rules import prelim_deadline
from tasks.reconcile.scope import DEADLINE_LOOKBACK


def test_every_deadline_falls_within_the_lookback_of_its_paid_date():
    """A window's deadlines come from paid dates at most DEADLINE_LOOKBACK earlier: true for every
    paid date of 2020-2035 (New Year, Golden Week and Silver Week runs of holidays included)."""
    day, longest = date(2020, 1, 1), timedelta(0)
    while day < date(2036, 1, 1):
        longest = max(longest, prelim_deadline(day) - datetime(day.year, day.month, day.day))
        day += timedelta(days=1)
    assert longest < DEADLINE_LOOKBACK
    assert longest > timedelta(days=14)  # the bound is not vacuous: ten bank days span two weeks and more
