"""GS1-128 konbini payment barcode (コンビニ収納用バーコード), 44 digits.

| pos | len | field |
| 1 | 2 | application identifier `91` |
| 3 | 6 | 請求書発行企業コード (our company code) |
| 9 | 21 | 自由使用欄: the order's 11-digit payment reference, then ten `0` |
| 30 | 1 | 再発行区分 `0` |
| 31 | 6 | 支払期限日 YYMMDD |
| 37 | 1 | 印紙フラグ |
| 38 | 6 | 支払金額 |
| 44 | 1 | check digit: modulus 10, weights 3 and 1 from the right |

    build_barcode(company_code: str, reference: str, due_date: date, stamp: bool, amount: int) -> str
    decode(barcode: str) -> Barcode            # raises ValueError naming what is wrong
    check_digit(first43: str) -> int
    check_digit_expr(col: pl.Expr) -> pl.Expr   # the same over a column of 44-digit strings
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from tasks.digits import ascii_digits

LENGTH = 44
AI = "91"
REFERENCE_LENGTH = 11
# (field, start, length), 1-based like the guideline's table
FIELDS = {
    "ai": (1, 2),
    "company_code": (3, 6),
    "reference": (9, REFERENCE_LENGTH),
    "free_tail": (20, 10),
    "reissue": (30, 1),
    "due_date": (31, 6),
    "stamp": (37, 1),
    "amount": (38, 6),
    "check_digit": (44, 1),
}
MAX_AMOUNT = 999_999


def _weight(pos: int) -> int:
    """Weight 3 on position 43, 1 on 42, 3 on 41 …: odd positions weigh 3."""
    return 3 if pos % 2 == 1 else 1


def check_digit(first43: str) -> int:
    if len(first43) != LENGTH - 1 or not ascii_digits(first43):
        raise ValueError(f"need 43 digits, got {first43!r}")
    total = sum(int(d) * _weight(i) for i, d in enumerate(first43, start=1))
    return (10 - total % 10) % 10


def check_digit_expr(col: pl.Expr) -> pl.Expr:
    """The check digit computed from the first 43 characters of a column of digit strings."""
    total = pl.sum_horizontal(
        col.str.slice(i - 1, 1).cast(pl.Int32, strict=False) * _weight(i) for i in range(1, LENGTH)
    )
    return ((10 - total % 10) % 10).cast(pl.Int32)


def build_barcode(company_code: str, reference: str, due_date: date, stamp: bool, amount: int) -> str:
    """The 44-digit barcode we print on a payment slip for the four CVS-feed chains."""
    if len(company_code) != 6 or not ascii_digits(company_code):
        raise ValueError(f"company code must be 6 digits, not {company_code!r}")
    if len(reference) != REFERENCE_LENGTH or not ascii_digits(reference):
        raise ValueError(f"payment reference must be 11 digits, not {reference!r}")
    if not 0 < amount <= MAX_AMOUNT:
        raise ValueError(f"amount {amount} does not fit the barcode (1 to {MAX_AMOUNT})")
    body = (
        f"{AI}{company_code}{reference}{'0' * 10}0{due_date:%y%m%d}"
        f"{1 if stamp else 0}{amount:06d}"
    )
    return body + str(check_digit(body))


@dataclass(frozen=True)
class Barcode:
    company_code: str
    reference: str
    due_date: date
    stamp: bool
    amount: int


def part(barcode: str, name: str) -> str:
    start, length = FIELDS[name]
    return barcode[start - 1 : start - 1 + length]


def decode(barcode: str) -> Barcode:
    """The barcode's fields; ValueError names the first thing wrong."""
    if len(barcode) != LENGTH or not ascii_digits(barcode):
        raise ValueError(f"barcode must be {LENGTH} digits, not {barcode!r}")
    if part(barcode, "ai") != AI:
        raise ValueError(f"barcode application identifier must be {AI}")
    if int(barcode[-1]) != check_digit(barcode[:-1]):
        raise ValueError(f"barcode check digit {barcode[-1]} is wrong (expected {check_digit(barcode[:-1])})")
    if part(barcode, "free_tail") != "0" * 10:
        raise ValueError("barcode free field must end with ten 0 after the 11-digit reference")
    yymmdd = part(barcode, "due_date")
    try:
        due = date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        raise ValueError(f"barcode due date {yymmdd} is not a date") from None
    return Barcode(
        company_code=part(barcode, "company_code"),
        reference=part(barcode, "reference"),
        due_date=due,
        stamp=part(barcode, "stamp") == "1",
        amount=int(part(barcode, "amount")),
    )
