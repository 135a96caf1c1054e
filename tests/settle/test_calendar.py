from datetime import date, datetime

import pytest

from tasks.settle.calendar import CALENDAR, next_period, period_of, periods_between, periods_of_month


def test_every_cycle_covers_each_day_of_a_month_exactly_once():
    for cycle in CALENDAR:
        for month in range(1, 13):
            periods = periods_of_month(cycle, 2028, month)  # 2028: leap year
            days = [p.start.toordinal() + i for p in periods for i in range((p.end - p.start).days + 1)]
            first = date(2028, month, 1).toordinal()
            assert days == list(range(first, first + len(days)))
            assert periods[-1].end.month == month and (periods[-1].end.toordinal() + 1 - first) == len(days)


def test_sample_scenario_periods():
    # samples/README.md: the three settlements of November 2026
    p6 = period_of(6, date(2026, 11, 3))
    assert (p6.start, p6.end) == (date(2026, 11, 1), date(2026, 11, 5))
    assert p6.payout_date == date(2026, 11, 16)  # the 15th is a Sunday
    assert p6.cutoff == datetime(2026, 11, 11, 23, 59, 59)
    p2 = period_of(2, date(2026, 11, 4))
    assert (p2.end, p2.payout_date, p2.cutoff) == (
        date(2026, 11, 15), date(2026, 11, 30), datetime(2026, 11, 25, 23, 59, 59))
    p1 = period_of(1, date(2026, 11, 5))
    assert (p1.end, p1.payout_date, p1.cutoff) == (
        date(2026, 11, 30), date(2026, 12, 15), datetime(2026, 12, 10, 23, 59, 59))


def test_payout_on_weekend_holiday_and_new_year_moves_to_next_business_day():
    # weekend: 2026-11-15 is a Sunday
    assert period_of(2, date(2026, 10, 20)).payout_date == date(2026, 11, 16)
    # weekend: cycle 6 period 2027-01-16..20 pays on the month's last day, Sunday 2027-01-31 → Feb 1
    assert period_of(6, date(2027, 1, 18)).payout_date == date(2027, 2, 1)
    # holiday: cycle 6 period 2026-04-21..25 pays on 05-05 (こどもの日); 05-06 is the substitute
    # holiday for Sunday 05-03 (憲法記念日) → 05-07
    assert period_of(6, date(2026, 4, 22)).payout_date == date(2026, 5, 7)
    # New Year: 6x/month period 2026-12-26..31 pays on the 10th (Sunday), 11th is 成人の日 → 12th
    p = period_of(6, date(2026, 12, 28))
    assert (p.start, p.end, p.payout_date) == (date(2026, 12, 26), date(2026, 12, 31), date(2027, 1, 12))
    assert p.cutoff == datetime(2027, 1, 6, 23, 59, 59)  # Jan 1-3 are bank holidays
    # a 2x/month period paying at the end of December (Thursday 31 is a bank holiday) → Jan 4
    assert period_of(2, date(2026, 12, 1)).payout_date == date(2027, 1, 4)


def test_periods_between_and_next_period_follow_the_table():
    ps = periods_between(6, date(2026, 11, 29), date(2026, 12, 7))
    assert [(p.start.isoformat(), p.end.isoformat()) for p in ps] == [
        ("2026-11-26", "2026-11-30"), ("2026-12-01", "2026-12-05"), ("2026-12-06", "2026-12-10")]
    assert next_period(ps[0]) == ps[1]
    assert next_period(period_of(1, date(2026, 12, 5))).start == date(2027, 1, 1)


def test_unknown_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle 3"):
        periods_of_month(3, 2026, 11)
