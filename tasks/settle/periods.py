"""The open settlement periods of a run, as small tables for set-based SQL.

A payment goes to the first *open* period of its merchant's cycle (a period whose payout date has
not been closed by a finalizing run) that (a) ends on or after its paid date, (b) has a cut-off at
or after the creation of the file carrying its 02, and (c) starts after the merchant's last
finalized period. Each condition is monotone along the periods of a cycle, so the answer is the
latest of three look-ups by day: `by_end`, `by_cutoff`, `after`. The day table makes those
look-ups equality joins, which keeps the run set-based over millions of payments.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import polars as pl

from tasks.settle.calendar import CYCLES, Period, period_of, periods_between


def open_periods(first: date, last: date, closed: set[date]) -> dict[int, list[Period]]:
    """Per cycle, the periods overlapping [first, last] whose payout date is not closed."""
    return {
        c: [p for p in periods_between(c, first, last) if p.payout_date not in closed] for c in CYCLES
    }


def periods_frame(periods: dict[int, list[Period]], is_due: Callable[[Period], bool]) -> pl.DataFrame:
    """The periods as rows, each with whether it is due in the run (`is_due`)."""
    rows = [
        (p.cycle, p.start, p.end, p.payout_date, p.cutoff, is_due(p))
        for ps in periods.values()
        for p in ps
    ]
    return pl.DataFrame(
        rows,
        schema={"cycle": pl.Int32, "period_start": pl.Date, "period_end": pl.Date,
                "payout_date": pl.Date, "cutoff": pl.Datetime("us"), "due": pl.Boolean},
        orient="row",
    )


def days_frame(periods: dict[int, list[Period]], first: date, last: date) -> pl.DataFrame:
    """Per cycle and day of [first, last]: the start of the calendar period containing it (`own`),
    and of the first open period that ends on/after it (`by_end`), whose cut-off date is on/after
    it (`by_cutoff`) and that starts after it (`after`). Null when no open period in range does."""
    rows = []
    for cycle, ps in periods.items():
        i_end = i_cut = i_after = 0
        d = first
        while d <= last:
            while i_end < len(ps) and ps[i_end].end < d:
                i_end += 1
            while i_cut < len(ps) and ps[i_cut].cutoff.date() < d:
                i_cut += 1
            while i_after < len(ps) and ps[i_after].start <= d:
                i_after += 1
            rows.append((
                cycle, d, period_of(cycle, d).start,
                ps[i_end].start if i_end < len(ps) else None,
                ps[i_cut].start if i_cut < len(ps) else None,
                ps[i_after].start if i_after < len(ps) else None,
            ))
            d += timedelta(days=1)
    return pl.DataFrame(
        rows,
        schema={"cycle": pl.Int32, "day": pl.Date, "own": pl.Date, "by_end": pl.Date,
                "by_cutoff": pl.Date, "after": pl.Date},
        orient="row",
    )
