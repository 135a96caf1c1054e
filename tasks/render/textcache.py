"""Measured text reused: WeasyPrint's line splitting remembered per render process.

WeasyPrint measures every piece of text with a fresh Pango layout (`split_first_line`), several
times per table cell (min-content width, max-content width, then the layout itself), and again in
every PDF: a third of a render process's time in the demo (py-spy, docs/benchmarks.md "## Demo"),
mostly for the same few texts (chain names, headings, dates, amounts) in the same styles. Its
result depends only on its arguments and the font configuration, and the layout it returns is
plain data (WeasyPrint 70 deactivates it: text, widths, the font's decoration metrics; drawing
builds a new Pango layout from it). So the result is remembered, keyed on the text, the widths and
flags, and every style property the splitting reads, and each caller gets its own copy of the
layout (drawing mutates it): the PDFs are byte for byte those of WeasyPrint alone
(tests/reports/test_textcache.py, and the demo's golden list).

`install()` is called once per process that renders (tasks/render/pdf.py). It only patches the
WeasyPrint version it was checked against; with another version it does nothing (rendering is then
as slow as before, never different) and `installed()` says so, which a test checks.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

CHECKED_VERSION = "70."  # the WeasyPrint whose split_first_line was read for this cache
MAX_ENTRIES = 50_000  # about 1 kB each, so ~50 MB at most; cleared whole when full

# Every style property split_first_line reads, itself or through Layout.setup/set_text/set_tabs,
# get_font_description, font_features, first_line_metrics, line_size and hyphenation.
STYLE_KEYS = (
    "white_space", "font_size", "direction", "lang", "font_language_override", "font_family",
    "font_style", "font_stretch", "font_weight", "font_variation_settings", "font_kerning",
    "font_variant_ligatures", "font_variant_position", "font_variant_caps", "font_variant_numeric",
    "font_variant_alternates", "font_variant_east_asian", "font_feature_settings",
    "text_decoration_line", "word_spacing", "letter_spacing", "overflow_wrap", "word_break",
    "tab_size", "hyphens", "hyphenate_character", "hyphenate_limit_chars", "hyphenate_limit_zone",
)

_state: dict[str, Any] = {"original": None, "hits": 0, "misses": 0}
_cache: dict[tuple, tuple] = {}


_style_values = operator.itemgetter(*STYLE_KEYS)
WRAPPING = frozenset({"normal", "pre-wrap", "pre-line"})  # split_first_line's `text_wrap`


def _key(text: str, style, max_width, justification_spacing, is_line_start, minimum) -> tuple | None:
    if style["white_space"] not in WRAPPING:
        # Text that may not wrap is split as if the width were unlimited: the width only ends up
        # in the layout's own `max_width` (set on each copy below), so the min-content, the
        # max-content and the laid-out measure of a `nowrap` cell are one measurement.
        max_width = None
    if max_width is None:
        # Nor does a measure without a width depend on where the line starts or on `minimum`:
        # split_first_line returns before reading them (its step 2), so the min-content
        # measure (`minimum`) and the laid-out one of such text are one measurement.
        is_line_start = minimum = None
    values = _style_values(style)
    try:
        hash(values)
    except TypeError:  # a list (an <svg> text's font_family): by value, marked as a list
        values = tuple((list, tuple(v)) if type(v) is list else v for v in values)
        try:
            hash(values)
        except TypeError:  # a list of lists, a set..: measured, not remembered
            return None
    return (text, max_width, justification_spacing, is_line_start, minimum, style.font_config, values)


def cached_split_first_line(text, style, context, max_width, justification_spacing,
                            is_line_start=True, minimum=False):
    """WeasyPrint's split_first_line, remembered; same arguments, same result."""
    key = _key(text, style, max_width, justification_spacing, is_line_start, minimum)
    found = _cache.get(key) if key is not None else None
    if found is None:
        _state["misses"] += 1
        found = _state["original"](text, style, context, max_width, justification_spacing,
                                   is_line_start=is_line_start, minimum=minimum)
        if key is not None:
            if len(_cache) >= MAX_ENTRIES:
                _cache.clear()
            _cache[key] = found
    else:
        _state["hits"] += 1
    layout, *rest = found
    return (_copy(layout, max_width), *rest)


def _copy(layout, max_width):
    """A shallow copy (copy.copy's protocol costs three times as much for this plain object),
    holding this call's `max_width` as WeasyPrint's own layout would (drawing reads it)."""
    clone = object.__new__(type(layout))
    clone.__dict__.update(layout.__dict__)
    clone.max_width = max_width
    return clone


def _modules() -> list:
    from weasyprint.layout import inline, preferred
    from weasyprint.text import line_break

    return [line_break, inline, preferred]  # each holds its own name for split_first_line


def install() -> bool:
    """Use the remembered splitting in this process (idempotent); False if WeasyPrint is not the
    version this was checked against (then nothing is patched)."""
    import weasyprint

    if _state["original"] is not None:
        return True
    if not weasyprint.__version__.startswith(CHECKED_VERSION):
        return False
    modules = _modules()
    original: Callable = modules[0].split_first_line
    _state["original"] = original
    for module in modules:
        module.split_first_line = cached_split_first_line
    return True


def installed() -> bool:
    return _state["original"] is not None and all(
        m.split_first_line is cached_split_first_line for m in _modules())


def uninstall() -> None:
    """WeasyPrint's own splitting again, and the cache emptied (tests compare both)."""
    if _state["original"] is None:
        return
    for module in _modules():
        module.split_first_line = _state["original"]
    _state["original"] = None
    _cache.clear()


def stats() -> tuple[int, int]:
    """(hits, misses) in this process."""
    return _state["hits"], _state["misses"]
