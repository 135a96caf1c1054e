"""Computed styles reused: WeasyPrint's cascade remembered across the PDFs of a render process.

WeasyPrint 70 already shares one computed style between the elements of a document that have the
same parent style, the same `style` attribute and the same matching selectors (`StyleFor.__init__`,
its local `computed_cache`), because a computed style is a function of those alone (and of the
font configuration and base URL). Every PDF then computes the same styles again, property by
property (the cascade was an eighth of a render process's time in the demo, docs/benchmarks.md
"## Reports"). Here that dict lives as long as the process (keyed also on the font configuration and
base URL), so the second collection report finds the styles of its `<td class="num">` already
computed. The declarations an element's attributes give (`style`, `lang`, `id`, an `<svg>`'s
size) enter the key by value, all of them, not as WeasyPrint's per-document objects. The styles
are the same objects WeasyPrint would have built, only built once; matching selectors still runs
per element (it gives the key). Everything in a key is kept alive by the
key itself (sheets, declarations) or by the dict (the parent style whose `id` is in it), so an
`id` in a key never names another object.

Per document the anchors are collected exactly as WeasyPrint does: once per distinct style.

`install()` replaces `StyleFor.__init__` with `_init`, a copy of WeasyPrint 70.0's with the dict
moved out; it only patches the version it was read against (`CHECKED_VERSION`), otherwise it does
nothing and `installed()` says so (tests/reports/test_stylecache.py then fails, so that whoever
upgrades WeasyPrint compares `_init` with the new `StyleFor.__init__`).
"""

from __future__ import annotations

from math import inf
from typing import Any

from weasyprint.css import (
    PROGRESS_LOGGER,
    declaration_precedence,
    find_style_attributes,
    preprocess_declarations,
)

CHECKED_VERSION = "70.0"  # the WeasyPrint whose StyleFor.__init__ `_init` copies
MAX_ENTRIES = 20_000  # distinct computed styles kept; cleared whole (between documents) when full

_state: dict[str, Any] = {"original": None, "shared": 0, "computed": 0}
_computed: dict[tuple, Any] = {}


def _init(self, html, sheets, presentational_hints, font_config, target_collector):
    """WeasyPrint 70.0's StyleFor.__init__, with `computed_cache` kept across documents."""
    self._cascaded_styles = cascaded_styles = {}
    self._computed_styles = computed_styles = {}
    self.initial_page_sizes = {"box": None, "area": None}
    self._sheets = sheets
    self.font_config = font_config

    PROGRESS_LOGGER.info("Step 3 - Applying CSS")
    elements_declarations = _attribute_declarations(html, presentational_hints, cascaded_styles)

    if len(_computed) >= MAX_ENTRIES:
        _computed.clear()
    in_this_document = set()
    pseudo_styles = []  # their anchors collected after the elements', as WeasyPrint does
    for element in html.wrapper_element.iter_subtree():
        etree_element = element.etree_element
        parent = element.parent.etree_element if element.parent else None
        parent_id = id(computed_styles[parent, None]) if element.parent else None
        element_declarations = elements_declarations.get(etree_element)
        selectors_keys, own, pseudo = _matched(element, sheets)
        key = (parent_id, element_declarations, selectors_keys, font_config, html.base_url)
        known = _computed.get(key)
        if known is not None:
            computed, pseudos = known
            computed_styles[etree_element, None] = computed
            computed_styles.update(((etree_element, p), style) for p, style in pseudos.items())
            if key not in in_this_document:  # computed for an earlier document: anchors collected here too
                _state["shared"] += 1
                if target_collector and computed["anchor"]:
                    target_collector.collect_anchor(computed["anchor"])
            pseudo_styles.extend(pseudos.values())  # WeasyPrint computes them per element
        else:
            computed, pseudos = _compute(self, html, etree_element, parent, own + pseudo, target_collector)
            pseudo_styles.extend(pseudos.values())
            _computed[key] = (computed, pseudos)
        in_this_document.add(key)

    if target_collector:
        for style in pseudo_styles:
            if style["anchor"]:
                target_collector.collect_anchor(style["anchor"])

    self._cascaded_styles.clear()


def _matched(element, sheets) -> tuple[tuple, list, list]:
    """The rules matching `element` (WeasyPrint 70.0's loop): their key for the cache, and the
    cascades of the element's own declarations and of its pseudo-elements' (::marker,
    ::footnote-call.. of the UA sheet), applied only if its style is computed."""
    selectors_keys, own, pseudo = [], [], []
    for sheet, origin, sheet_specificity in sheets:
        for selector in sheet.matcher.match(element):
            specificity, order, pseudo_type, (declarations, layer) = selector
            layer_order = inf if layer is None else sheet.layers.index(layer)
            selectors_keys.append((sheet, specificity, id(declarations), layer_order, pseudo_type))
            cascade = (origin, layer_order, sheet_specificity or specificity, declarations)
            (own if pseudo_type is None else pseudo).append((pseudo_type, cascade))
    return tuple(selectors_keys), own, pseudo


def _compute(self, html, etree_element, parent, cascades: list, target_collector) -> tuple[dict, dict]:
    """An element's computed style and its pseudo-elements', as WeasyPrint 70.0 computes them."""
    _state["computed"] += 1
    computed_styles = self._computed_styles
    for pseudo_type, cascade in cascades:
        _cascade(self._cascaded_styles.setdefault((etree_element, pseudo_type), {}), *cascade)
    self.set_computed_styles(
        etree_element, root=html.etree_element, parent=parent,
        base_url=html.base_url, target_collector=target_collector)
    pseudos = {}
    for pseudo_type, _ in cascades:  # a pseudo-element's style depends on its element's only
        if pseudo_type is not None and pseudo_type not in pseudos:
            self.set_computed_styles(
                etree_element, pseudo_type=pseudo_type, root=html.etree_element,
                parent=etree_element, base_url=html.base_url, target_collector=None)
            pseudos[pseudo_type] = computed_styles[etree_element, pseudo_type]
    return computed_styles[etree_element, None], pseudos


def _cascade(style: dict, origin, layer_order, specificity, declarations) -> None:
    """One matching rule's declarations into an element's cascaded style (WeasyPrint 70.0's loop)."""
    for name, values, importance in declarations:
        precedence = declaration_precedence(origin, importance)
        weight = (precedence, layer_order, specificity)
        old_weight = style.get(name, (None, None))[1]
        if old_weight is None or old_weight <= weight:
            style[name] = values, weight


def _attribute_declarations(html, presentational_hints, cascaded_styles) -> dict:
    """The cascade of the declarations elements' attributes give, as WeasyPrint 70.0's does; for
    the key, all of an element's such declarations by value (WeasyPrint keeps the last, by
    identity, which never matches another document's)."""
    layer_order = inf
    elements_declarations = {}
    for specificity, element, declarations, base_url in find_style_attributes(
            html.etree_element, presentational_hints, html.base_url):
        style = cascaded_styles.setdefault((element, None), {})
        declarations = tuple(declarations)
        elements_declarations[element] = (*elements_declarations.get(element, ()), (
            specificity, base_url, tuple(node.serialize() for node in declarations)))
        for name, values, importance in preprocess_declarations(base_url, declarations):
            precedence = declaration_precedence("author", importance)
            weight = (precedence, layer_order, specificity)
            old_weight = style.get(name, (None, None))[1]
            if old_weight is None or old_weight <= weight:
                style[name] = values, weight
    return elements_declarations


def install() -> bool:
    """Keep computed styles across documents in this process (idempotent); False if WeasyPrint is
    not the version `_init` was copied from (then nothing is patched)."""
    import weasyprint
    from weasyprint.css import StyleFor

    if _state["original"] is not None:
        return True
    if weasyprint.__version__ != CHECKED_VERSION:
        return False
    _state["original"] = StyleFor.__init__
    StyleFor.__init__ = _init
    return True


def installed() -> bool:
    from weasyprint.css import StyleFor

    return _state["original"] is not None and StyleFor.__init__ is _init


def uninstall() -> None:
    """WeasyPrint's own cascade again, and the remembered styles dropped (tests compare both)."""
    from weasyprint.css import StyleFor

    if _state["original"] is None:
        return
    StyleFor.__init__ = _state["original"]
    _state["original"] = None
    _computed.clear()


def stats() -> tuple[int, int]:
    """(styles shared from earlier documents, styles computed) in this process."""
    return _state["shared"], _state["computed"]
