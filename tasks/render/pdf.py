"""PDFs from Jinja2 templates by WeasyPrint: A4, Japanese, font embedded, no network.

Templates live in `reports/` (HTML + CSS). The CSS names the font by file URL (`@font-face`,
IPAexGothic), so the PDF never depends on what fontconfig happens to pick. Rendering fetches
nothing but `file:` URLs inside the report and font folders: anything else stops the rendering.
The same context and `as_of` give byte-identical PDFs (metadata dates come from `as_of`, the PDF
identifier from the report id).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlparse

import jinja2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from tasks.clock import jst
from tasks.render import stylecache, textcache
from tasks.render.labels import deduction

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
FONT_FILE = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
FONT_NAME = "IPAexGothic"
ALLOWED_DIRS = (REPORTS_DIR, FONT_FILE.parent)


class RefusedFetch(FatalURLFetchingError):
    """A template asked for something outside the report and font folders."""


class LocalOnlyFetcher(URLFetcher):
    """Only `file:` URLs under ALLOWED_DIRS; everything else (http, data outside, ..) is refused."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            raise RefusedFetch(f"refused to fetch {url!r} while rendering a report (no network)")
        path = Path(unquote(parsed.path)).resolve()
        if not any(path.is_relative_to(d) for d in ALLOWED_DIRS):
            raise RefusedFetch(f"refused to fetch {url!r}: outside the report and font folders")
        return super().fetch(url, headers)


def _yen(value: int) -> str:
    """12,345 / -200 (yen figures in reports; ints only)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"money must be int yen, got {value!r}")
    return f"{value:,}"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(REPORTS_DIR),
        autoescape=jinja2.select_autoescape(["html", "svg"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["yen"] = _yen
    env.filters["deduction"] = deduction
    env.globals["font_url"] = FONT_FILE.as_uri()
    env.globals["font_name"] = FONT_NAME
    return env


def render_html(template: str, context: dict) -> str:
    return environment().get_template(template).render(**context)


@lru_cache(maxsize=1)
def _fonts_and_style() -> tuple[FontConfiguration, CSS]:
    """One font configuration and one parsed base.css per process, reused by every PDF: building
    them (fontconfig scan, loading the 4 MB font) costs more than laying out a statement."""
    textcache.install()  # measured text remembered for every PDF of this process
    stylecache.install()  # and computed styles
    fonts = FontConfiguration()
    css = CSS(filename=str(REPORTS_DIR / "base.css"), font_config=fonts, url_fetcher=LocalOnlyFetcher())
    return fonts, css


def pdf_date(as_of: datetime) -> str:
    """W3C date for the PDF's CreationDate/ModDate: the report's as-of, never the wall clock."""
    return jst(as_of).replace(microsecond=0).isoformat()


def render_pdf(template: str, context: dict, *, as_of: datetime, report_id: str) -> bytes:
    """Render one report. `context` is plain data; `as_of` fixes the PDF dates."""
    html = render_html(template, {**context, "pdf_date": pdf_date(as_of)})
    identifier = hashlib.md5(report_id.encode()).hexdigest().encode()
    fonts, css = _fonts_and_style()
    # fontTools (WeasyPrint's subsetter when HarfBuzz-subset is missing) stamps the subset's
    # `head.modified` with the current time unless SOURCE_DATE_EPOCH is set: fix it to the report's
    # as-of for the duration of this rendering only.
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(jst(as_of).timestamp()))
    try:
        document = HTML(string=html, base_url=REPORTS_DIR.as_uri() + "/", url_fetcher=LocalOnlyFetcher())
        return document.write_pdf(
            stylesheets=[css], font_config=fonts, pdf_identifier=identifier, uncompressed_pdf=False
        )
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


# --- reading a PDF back (tests, and `konbini reports check`) -------------------------------------


@dataclass(frozen=True)
class PdfFont:
    name: str
    type: str
    embedded: bool


def pdf_fonts(path: Path) -> list[PdfFont]:
    """The fonts `pdffonts` lists for a PDF."""
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    # header, dashes line, then one font per line; columns by the dashes' widths
    dashes = lines[1]
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]
    fonts = []
    for line in lines[2:]:
        cols = [line[a:b + 1].strip() for a, b in spans]
        fonts.append(PdfFont(name=cols[0], type=cols[1], embedded=cols[3] == "yes"))
    return fonts


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def font_problems(path: Path) -> list[str]:
    """Why a PDF fails our font rule (empty list: it passes).

    The rule: every font embedded, and the Japanese text set in IPAexGothic, embedded. A PDF set
    in a font without kana (DejaVu) shows boxes although `pdftotext` still prints the text, so the
    text alone proves nothing: the fonts must be checked.
    """
    fonts = pdf_fonts(path)
    problems = [f"font {f.name} is not embedded" for f in fonts if not f.embedded]
    if not any(FONT_NAME in f.name and f.embedded for f in fonts):
        found = ", ".join(f.name for f in fonts) or "none"
        problems.append(f"no embedded {FONT_NAME} (fonts: {found})")
    others = [f.name for f in fonts if FONT_NAME not in f.name]
    if others:
        problems.append(f"text set in fonts other than {FONT_NAME}: {', '.join(others)}")
    return problems


def page_png(path: Path, target_stem: Path, dpi: int = 60) -> Path:
    """Page 1 as a PNG (pdftoppm), for a person to look at."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
         str(path), str(target_stem)],
        check=True,
        capture_output=True,
    )
    return target_stem.with_suffix(".png")
