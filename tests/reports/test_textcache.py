"""Remembering measured text (tasks/render/textcache.py) changes no byte of any report."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tasks.clock import JST
from tasks.render import collection, operations, schedule, statement, textcache
from tasks.render.jobs import ReportJob
from tasks.render.pdf import render_pdf
from tests.reports.test_layout import _widest


def _jobs(world, settings) -> list[ReportJob]:
    as_of = datetime(2026, 11, 20, tzinfo=JST)
    with world.read() as con:
        return [
            collection.gather(con, "M000001", date(2026, 11, 4), settings, as_of),
            statement.gather(con, "M000003-20261101", settings, as_of),
            schedule.gather(con, "M000003", date(2027, 1, 1), settings, as_of),
            operations.gather(con, date(2026, 11, 19), settings, as_of),
        ]


def _pdfs(jobs: list[ReportJob]) -> list[bytes]:
    return [render_pdf(j.template, j.context, as_of=j.as_of, report_id=j.report_id) for j in jobs]


@pytest.fixture
def without_cache():
    textcache.uninstall()
    yield
    textcache.install()


def test_the_cache_is_in_use_with_this_weasyprint():
    """A WeasyPrint upgrade turns the cache off (never wrong, only slower): this says so, so that
    whoever upgrades checks textcache against the new split_first_line and sets CHECKED_VERSION."""
    render_pdf("base.html.j2", {"title": "t", "company_name": "c"}, as_of=datetime(2026, 11, 1, tzinfo=JST),
               report_id="x")
    assert textcache.installed()


@pytest.mark.parametrize("wide", [False, True], ids=["usual", "widest"])
def test_same_bytes_with_and_without_the_cache(ops_world, settings, wide, without_cache):
    if wide:  # 32-character ids broken anywhere, long reasons wrapped: the splitting's other paths
        with ops_world.write() as con:
            _widest(con)
    jobs = _jobs(ops_world, settings)
    plain = _pdfs(jobs)
    assert textcache.install()
    hits0, _ = textcache.stats()
    first = _pdfs(jobs)  # measured, remembered
    again = _pdfs(jobs)  # every text found in the cache
    hits, _ = textcache.stats()
    assert hits - hits0 > 1000
    assert first == plain
    assert again == plain
