"""What a merchant pays us (手数料・消費税・印紙代): each rule of rules.md written once.

- per settled payment: the plan's fixed fee for its chain + ⌊amount × rate_bp / 10,000⌋, on the
  amount paid (SQL: it is computed over millions of payments);
- monthly fee: once per calendar month, in the first settlement that includes a payment paid in it;
- initial fee: in the merchant's first settlement that includes a payment;
- consumption tax: 10% of a statement's fees, rounded down once per statement (the qualified-invoice
  rule); stamp charges, adjustments and carried balances bear none;
- stamp charge (印紙代): 200 yen per settled payment whose 02 bears a revenue stamp.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

import polars as pl

STAMP_CHARGE = 200
TAX_PERCENT = 10
BASIS_POINTS = 10000
# the fee plan's column of the fixed fee per chain (0001_core.sql, fee_plans)
CHAIN_FEE_COLUMNS = {
    "seven": "fee_seven", "lawson": "fee_lawson", "famima": "fee_famima",
    "ministop": "fee_ministop", "daily": "fee_daily", "seicomart": "fee_seicomart",
}

Yen = TypeVar("Yen", int, pl.Expr)


def payment_fee_sql(chain: str, amount: str, plan: str) -> str:
    """SQL of the per-payment fee, given the payment's chain and amount and the fee plan's alias."""
    whens = " ".join(f"when '{c}' then {plan}.{col}" for c, col in CHAIN_FEE_COLUMNS.items())
    return f"case {chain} {whens} end + ({amount} * {plan}.rate_bp) // {BASIS_POINTS}"


def stamp_charge_sql(stamp_flag: str) -> str:
    """SQL of a payment's stamp charge, given the stamp flag of its 02."""
    return f"case when {stamp_flag} then {STAMP_CHARGE} else 0 end"


def consumption_tax(fees: Yen) -> Yen:
    """Tax on a statement's fees, rounded down once; for an int or a Polars expression."""
    return fees * TAX_PERCENT // 100


def months_to_charge(months: list[date], charged: set[date]) -> list[date]:
    """The months of a statement's payments whose monthly fee is not charged yet, in order; they
    count as charged from now on (a month is covered once, even by a 0-yen line)."""
    new = [m for m in months if m not in charged]
    charged.update(new)
    return new


def initial_fee_due(payment_count: int, had_payment: bool) -> bool:
    """The initial fee goes with the merchant's first settlement that includes a payment."""
    return payment_count > 0 and not had_payment
