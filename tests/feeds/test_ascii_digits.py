"""Numeric fields take ASCII digits only: full-width １ (which int() reads as 1) is refused."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.feeds import gs1
from tasks.feeds.famima import LAYOUT
from tasks.feeds.layout import format_field

BARCODE = gs1.build_barcode("123456", "12345678901", date(2026, 12, 1), False, 1500)


def _full_width(text: str) -> str:
    return text.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})


def test_the_barcode_takes_ascii_digits_only():
    assert gs1.decode(BARCODE).amount == 1500
    with pytest.raises(ValueError, match="barcode must be 44 digits"):
        gs1.decode(_full_width(BARCODE))
    with pytest.raises(ValueError, match="need 43 digits"):
        gs1.check_digit(_full_width(BARCODE[:-1]))
    with pytest.raises(ValueError, match="company code must be 6 digits"):
        gs1.build_barcode("１２３４５６", "12345678901", date(2026, 12, 1), False, 1500)
    with pytest.raises(ValueError, match="payment reference must be 11 digits"):
        gs1.build_barcode("123456", _full_width("12345678901"), date(2026, 12, 1), False, 1500)


def test_a_numeric_field_of_a_layout_refuses_full_width_digits():
    field = next(f for f in LAYOUT.record("data").fields if f.type == "N" and f.form is None)
    assert format_field(field, "1") == "1".rjust(field.length, "0")
    with pytest.raises(ValueError, match="is not digits"):
        format_field(field, "１")
