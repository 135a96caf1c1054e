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


def same_bytes_without_and_with(cache, world, settings, wide: bool) -> int:
    """Every kind of report rendered without `cache` (uninstalled by the caller), then with it
    twice (filled, then found): asserts the same bytes, returns how often the cache answered."""
    if wide:  # 32-character ids broken anywhere, long reasons wrapped: the splitting's other paths
        with world.write() as con:
            _widest(con)
    jobs = _jobs(world, settings)
    plain = _pdfs(jobs)
    assert cache.install()
    found0, _ = cache.stats()
    first = _pdfs(jobs)  # computed, remembered
    again = _pdfs(jobs)  # found in the cache
    found, _ = cache.stats()
    assert first == plain
    assert again == plain
    return found - found0


@pytest.mark.parametrize("wide", [False, True], ids=["usual", "widest"])
def test_same_bytes_with_and_without_the_cache(ops_world, settings, wide, without_cache):
    assert same_bytes_without_and_with(textcache, ops_world, settings, wide) > 1000


def _text_style(white_space: str):
    """The style WeasyPrint computes for a paragraph's text with this `white-space`."""
    from weasyprint import HTML

    from tasks.render.pdf import _fonts_and_style

    fonts, css = _fonts_and_style()
    page = HTML(string=f'<p style="white-space: {white_space}">x</p>').render(
        stylesheets=[css], font_config=fonts).pages[0]
    box = page._page_box
    while box.children:
        box = box.children[0]
    return box.style


@pytest.mark.parametrize("white_space", ["nowrap", "pre"])
def test_text_that_cannot_wrap_is_measured_once_at_any_width(white_space):
    """min-content (width 0, `minimum`), max-content (no width) and the laid-out width of a `nowrap`
    cell are one measurement, wherever the line starts; each copy still holds its own call's width,
    as WeasyPrint's layout does."""
    assert textcache.install()
    style = _text_style(white_space)
    text = f"2026-11-04 10:23 {white_space} 一度だけ"
    original = textcache._state["original"]
    _, misses0 = textcache.stats()
    calls = [(0, True, True), (None, True, True), (123.5, True, False), (0, False, True), (40, False, False)]
    for width, is_line_start, minimum in calls:
        layout, *rest = textcache.cached_split_first_line(text, style, None, width, 0, is_line_start, minimum)
        own_layout, *own_rest = original(text, style, None, width, 0, is_line_start, minimum)
        assert rest == own_rest
        assert layout.__dict__.keys() == own_layout.__dict__.keys()
        assert layout.max_width == own_layout.max_width == width
        assert layout.text == own_layout.text
    _, misses = textcache.stats()
    assert misses - misses0 == 1


def test_text_without_a_width_is_measured_once_wherever_the_line_starts():
    """Without a width (a max-content measure) split_first_line never reads `is_line_start` or
    `minimum`: the four combinations are one measurement, with WeasyPrint's own results."""
    assert textcache.install()
    style = _text_style("normal")
    text = "幅なしで 一度だけ (no width)"
    original = textcache._state["original"]
    _, misses0 = textcache.stats()
    for is_line_start in (True, False):
        for minimum in (True, False):
            layout, *rest = textcache.cached_split_first_line(
                text, style, None, None, 0, is_line_start, minimum)
            own_layout, *own_rest = original(text, style, None, None, 0, is_line_start, minimum)
            assert rest == own_rest
            assert layout.text == own_layout.text
    _, misses = textcache.stats()
    assert misses - misses0 == 1


def test_text_that_wraps_is_measured_per_width():
    assert textcache.install()
    style = _text_style("normal")
    _, misses0 = textcache.stats()
    for width in (0, None, 123.5):
        textcache.cached_split_first_line("折り返す 文 (per width)", style, None, width, 0)
    _, misses = textcache.stats()
    assert misses - misses0 == 3


def test_svg_text_is_remembered():
    """An <svg> text's style holds its font family as a list (WeasyPrint's svg/text.py): it is
    remembered by value, apart from the same family held as a tuple."""
    from weasyprint.css import Style
    from weasyprint.css.properties import INITIAL_VALUES

    assert textcache.install()
    listed = Style()
    listed.update(INITIAL_VALUES)
    listed.font_config = _text_style("normal").font_config
    listed["font_family"] = ["IPAexGothic"]
    as_tuple = Style()
    as_tuple.update(listed)
    as_tuple.font_config = listed.font_config
    as_tuple["font_family"] = ("IPAexGothic",)
    _, misses0 = textcache.stats()
    first = textcache.cached_split_first_line("速報(01) svg", listed, None, None, 0)
    again = textcache.cached_split_first_line("速報(01) svg", listed, None, None, 0)
    textcache.cached_split_first_line("速報(01) svg", as_tuple, None, None, 0)
    _, misses = textcache.stats()
    assert misses - misses0 == 2
    assert first[1:] == again[1:]
    assert first[0].__dict__.keys() == again[0].__dict__.keys()
