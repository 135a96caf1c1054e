"""Remembering computed styles across PDFs (tasks/render/stylecache.py) changes no byte of any report."""

from __future__ import annotations

from datetime import datetime

import pytest

from tasks.clock import JST
from tasks.render import stylecache
from tasks.render.pdf import render_pdf
from tests.reports.test_textcache import same_bytes_without_and_with


@pytest.fixture
def without_cache():
    stylecache.uninstall()
    yield
    stylecache.install()


def test_the_cache_is_in_use_with_this_weasyprint():
    """A WeasyPrint upgrade turns the cache off (never wrong, only slower): this says so, so that
    whoever upgrades compares stylecache._init with the new StyleFor.__init__ and sets
    CHECKED_VERSION."""
    render_pdf("base.html.j2", {"title": "t", "company_name": "c"}, as_of=datetime(2026, 11, 1, tzinfo=JST),
               report_id="x")
    assert stylecache.installed()


@pytest.mark.parametrize("wide", [False, True], ids=["usual", "widest"])
def test_same_bytes_with_and_without_the_cache(ops_world, settings, wide, without_cache):
    """Every kind of report (the operations summary has `style` attributes, the collection report
    an `<svg>` with its own size, every page `lang`), rendered by WeasyPrint's own cascade, then
    with the cache empty, then with every style found in it: the same bytes."""
    # the second pass found the first pass's styles
    assert same_bytes_without_and_with(stylecache, ops_world, settings, wide) > 100


def test_attribute_declarations_are_compared_by_value(without_cache):
    """Two documents that differ only in an element's `style` attribute or `lang` get their own
    styles (the key holds the attributes' declarations by value), the same ones as without it."""
    docs = [("ja", "width: 40%"), ("ja", "width: 70%"), ("en", "width: 40%"), ("ja", "width: 40%")]
    from weasyprint import HTML

    from tasks.render.pdf import _fonts_and_style

    fonts, css = _fonts_and_style()

    def direct():  # a table whose width comes from its `style` attribute, a page language
        out = []
        for lang, style in docs:
            html = (f'<html lang="{lang}"><body><table style="{style}"><tr><td>日本語 text</td>'
                    f'<td>2</td></tr></table></body></html>')
            out.append(HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts,
                                                   pdf_identifier=b"x"))
        return out

    plain = direct()
    assert plain[0] != plain[1] and plain[0] != plain[2] and plain[0] == plain[3]
    assert stylecache.install()
    assert direct() == plain  # a key ignoring the attributes would give the 2nd and 3rd the 1st's


def test_pseudo_element_styles_are_remembered_too(monkeypatch):
    """WeasyPrint's UA sheet gives every element six pseudo-element styles (::marker,
    ::footnote-call, ...): a document already rendered in this process computes none of them
    again, nor any element's style."""
    from weasyprint import HTML
    from weasyprint.css import StyleFor

    from tasks.render.pdf import _fonts_and_style

    assert stylecache.install()
    fonts, css = _fonts_and_style()
    html = ('<html lang="ja"><body><table><tr><td>擬似要素</td><td class="num">2</td></tr></table>'
            '</body></html>')
    computed = []
    own = StyleFor.set_computed_styles

    def counted(self, element, parent, root=None, pseudo_type=None, **kwargs):
        if hasattr(element, "tag"):  # an element's style, not a page's (@page, margin boxes)
            computed.append(pseudo_type)
        return own(self, element, parent, root=root, pseudo_type=pseudo_type, **kwargs)

    monkeypatch.setattr(StyleFor, "set_computed_styles", counted)
    first = HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts, pdf_identifier=b"x")
    assert "marker" in computed  # (else this test proves nothing)
    computed.clear()
    again = HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts, pdf_identifier=b"x")
    assert computed == []
    assert again == first
