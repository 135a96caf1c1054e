"""Does a rendered PDF keep inside its page margins? Each page is rendered (pdftoppm, greyscale)
and the left and right margin strips must be blank: a table or a line too wide for A4 runs
through the right margin (and is cut at the paper's edge) before anything else shows it."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

DPI = 50
MM = DPI / 25.4  # pixels per millimetre
SIDE_MARGIN_MM = 14  # base.css: @page margin left and right
SLACK_MM = 1.0  # anti-aliasing of a border drawn exactly on the content edge


def _pages(pdf: Path) -> list[tuple[int, int, bytes]]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-gray", "-r", str(DPI), str(pdf), f"{tmp}/p"], check=True,
                       capture_output=True)
        pages = []
        for f in sorted(Path(tmp).glob("p*.pgm")):
            data = f.read_bytes()
            magic, w, h, maxval, rest = data.split(maxsplit=4)
            assert magic == b"P5" and maxval == b"255"
            pages.append((int(w), int(h), rest))
        return pages


def overflow_problems(pdf: Path) -> list[str]:
    """Pages with ink in the side margins (empty list: everything is inside the page's box)."""
    problems = []
    strip = int((SIDE_MARGIN_MM - SLACK_MM) * MM)
    for n, (w, h, pixels) in enumerate(_pages(pdf), start=1):
        for y in range(h):
            row = pixels[y * w:(y + 1) * w]
            left, right = row[:strip], row[w - strip:]
            if min(right) < 200 or min(left) < 200:
                side = "right" if min(right) < 200 else "left"
                problems.append(f"{pdf.name} page {n}: ink in the {side} margin {y / MM:.0f} mm from the top")
                break
    return problems
