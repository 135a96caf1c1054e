"""Pandera schemas of the bank's 振込入金通知 records (treasury.md), over the text fields the fixed-width
reader slices. Like schemas/feeds.py, each check is named by what the value must be: that name is the
rejection reason shown to operators.

Dates are 和暦 `YYMMDD` in the 令和 era (year − 2018); 令和 began on 2019-05-01.
"""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.feeds import SEJ_TRAILER, _check, digits, not_zero, one_of, spaces

REIWA_OFFSET = 2018  # 令和 YY = year − 2018
REIWA_START = date(2019, 5, 1)
# Text fields: half-width kana, A–Z, digits, space and ( ) - . / (treasury.md)
ZENGIN_TEXT = r"^[0-9A-Z ()\-./\uff66-\uff9f]*$"


def wareki_date(e: pl.Expr) -> pl.Expr:
    """A 和暦 YYMMDD text as a date (null when it is no date of the 令和 era).

    YYMMDD as a number plus 2018 × 10⁴ is the Gregorian YYYYMMDD (one cast and one parse: this
    runs several times per BANK_IN file, where fewer expression nodes cost less)."""
    yyyymmdd = (e.cast(pl.Int32, strict=False) + REIWA_OFFSET * 10_000).cast(pl.String)
    d = yyyymmdd.str.to_date("%Y%m%d", strict=False)
    return pl.when(e.str.contains(r"^[0-9]{6}$") & (d >= REIWA_START)).then(d)


def wareki6() -> pa.Check:
    return _check("must be a 令和 date YYMMDD", lambda e: wareki_date(e).is_not_null())


def zengin_text() -> pa.Check:
    return _check("must be half-width kana, A-Z, digits, space or ( ) - . /",
                  lambda e: e.str.contains(ZENGIN_TEXT))


def _text(*checks: pa.Check) -> pa.Column:
    return pa.Column(pl.String, list(checks), nullable=True)


def _schema(name: str, columns: dict[str, pa.Column]) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns, name=name, strict=False)


BANK_HEADER = _schema("BANK_IN header", {
    "kind_code": _text(one_of("01")),
    "code_division": _text(one_of("0")),
    "created_date": _text(wareki6()),
    "from_date": _text(wareki6()),
    "to_date": _text(wareki6()),
    "bank_code": _text(digits(4)),
    "bank_name": _text(zengin_text()),
    "branch_code": _text(digits(3)),
    "branch_name": _text(zengin_text()),
    "account_type": _text(digits(1)),
    "account_number": _text(digits(7)),
    "account_name": _text(zengin_text()),
    "filler": _text(spaces()),
})
BANK_DATA = _schema("BANK_IN data", {
    "inquiry_no": _text(digits(6)),
    "booking_date": _text(wareki6()),
    "value_date": _text(wareki6()),
    "amount": _text(digits(10), not_zero()),
    "other_bank_amount": _text(digits(10)),
    "remitter_code": _text(digits(10)),
    "remitter_name": _text(zengin_text()),
    "sending_bank": _text(zengin_text()),
    "sending_branch": _text(zengin_text()),
    "cancel": _text(one_of(" ", "1")),
    "edi": _text(zengin_text()),
    "filler": _text(spaces()),
})
# the same counts and totals, in the same widths, as SEJ's trailer (both follow the 全銀 trailer)
BANK_TRAILER = _schema("BANK_IN trailer", dict(SEJ_TRAILER.columns))
BANK_END = _schema("BANK_IN end", {"filler": _text(spaces())})
