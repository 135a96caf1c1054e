from datetime import date

from tasks.bank_calendar import add_business_days, is_business_day, next_business_day


def test_weekends_holidays_and_new_year_are_closed():
    assert not is_business_day(date(2026, 11, 3))  # 文化の日
    assert not is_business_day(date(2026, 11, 23))  # 勤労感謝の日
    assert not is_business_day(date(2026, 11, 15))  # Sunday
    assert not is_business_day(date(2026, 12, 31))  # bank holiday
    assert not is_business_day(date(2027, 1, 2))
    assert not is_business_day(date(2027, 1, 11))  # 成人の日
    assert is_business_day(date(2026, 11, 4))


def test_next_business_day_moves_forward():
    assert next_business_day(date(2026, 11, 15)) == date(2026, 11, 16)
    assert next_business_day(date(2027, 1, 10)) == date(2027, 1, 12)
    assert next_business_day(date(2026, 11, 30)) == date(2026, 11, 30)


def test_tenth_business_day_after_nov_4_is_nov_18():
    # samples/README.md: PRELIM_NOT_CONFIRMED for payments of 11-04 is raised from 11-19 00:00
    assert add_business_days(date(2026, 11, 4), 10) == date(2026, 11, 18)


def test_cutoff_is_three_business_days_before_payout():
    assert add_business_days(date(2026, 11, 16), -3) == date(2026, 11, 11)
    assert add_business_days(date(2026, 11, 30), -3) == date(2026, 11, 25)
    assert add_business_days(date(2026, 12, 15), -3) == date(2026, 12, 10)
