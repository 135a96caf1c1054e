"""ASCII digits: what every numeric field of the chains' files, the barcode and the Zengin file holds.

`str.isdigit()` alone also takes full-width `１`, superscript `²` and other scripts' digits, and
`int()` then reads most of them as numbers: a full-width value would pass a check meant for 0-9.
"""

from __future__ import annotations


def ascii_digits(text: str) -> bool:
    """Only 0-9, and at least one."""
    return text.isascii() and text.isdigit()
