"""The stamp (印紙) rule of rules.md: whether a receipt of this amount should bear a revenue stamp.

seven, famima, daily: amount >= 50,000. lawson, ministop, seicomart: taxable → amount − tax_amount
>= 50,000; non_taxable → amount >= 50,000. The same rule in SQL for the reconciliation engine.
"""

from __future__ import annotations

STAMP_THRESHOLD = 50_000
GROSS_CHAINS = ("seven", "famima", "daily")  # the amount including tax decides


def stamp_expected(chain: str, tax_mode: str, amount: int, tax_amount: int) -> bool:
    if chain in GROSS_CHAINS or tax_mode != "taxable":
        return amount >= STAMP_THRESHOLD
    return amount - tax_amount >= STAMP_THRESHOLD


def stamp_expected_sql(chain: str, tax_mode: str, amount: str, tax_amount: str) -> str:
    """The same rule as a DuckDB expression over the given column expressions."""
    gross = ", ".join(f"'{c}'" for c in GROSS_CHAINS)
    return (
        f"case when {chain} in ({gross}) or {tax_mode} <> 'taxable' then {amount} >= {STAMP_THRESHOLD}"
        f" else {amount} - {tax_amount} >= {STAMP_THRESHOLD} end"
    )
