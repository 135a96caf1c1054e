"""Report planning looks back LOOKBACK_DAYS days in one query (`merchants_with_events_by_day`): the
same days, merchants and order as asking day by day."""

from __future__ import annotations

from datetime import date, datetime

from tasks.clock import JST
from tasks.render import collection
from tasks.render.run import plan


def test_merchants_with_events_by_day_gives_each_day_its_merchants_and_nothing_outside(small_world):
    with small_world.read() as con:
        assert collection.merchants_with_events_by_day(con, date(2026, 11, 3), date(2026, 11, 10)) == {
            date(2026, 11, 4): ["M000001", "M000002"], date(2026, 11, 9): ["M000001"]}
        assert collection.merchants_with_events_by_day(con, date(2026, 11, 5), date(2026, 11, 8)) == {}
        # both ends are whole days: the 02 received 11-09 06:30 counts on the last day, not the next
        assert collection.merchants_with_events_by_day(con, date(2026, 11, 9), date(2026, 11, 9)) == {
            date(2026, 11, 9): ["M000001"]}
        assert collection.merchants_with_events_by_day(con, date(2026, 11, 10), date(2026, 11, 12)) == {}
        assert collection.merchants_with_events(con, date(2026, 11, 4)) == ["M000001", "M000002"]
        assert collection.merchants_with_events(con, date(2026, 11, 5)) == []


def _collection_reports(small_world, settings, as_of: datetime) -> list[str]:
    with small_world.read() as con:
        return [j.report_id for j in plan(con, as_of, settings, kinds=["collection"])]


def test_planning_lists_the_look_back_days_reports_oldest_day_first(small_world, settings):
    assert _collection_reports(small_world, settings, datetime(2026, 11, 10, 8, tzinfo=JST)) == [
        "collection/M000001/2026-11-04", "collection/M000002/2026-11-04", "collection/M000001/2026-11-09"]
    # 11-04 is more than seven days before 11-12: out of the look-back
    assert _collection_reports(small_world, settings, datetime(2026, 11, 12, 8, tzinfo=JST)) == [
        "collection/M000001/2026-11-09"]
    # the day of as_of itself is not over: not planned
    assert _collection_reports(small_world, settings, datetime(2026, 11, 9, 23, tzinfo=JST)) == [
        "collection/M000001/2026-11-04", "collection/M000002/2026-11-04"]
