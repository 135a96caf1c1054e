"""The stamp rule (rules.md), in Python and in SQL, on the FAQ's example and the boundaries."""

from __future__ import annotations

import duckdb
import pytest

from tasks.reconcile.stamp import stamp_expected, stamp_expected_sql

CASES = [
    ("seven", "taxable", 54000, 4909, True),  # the FAQ's example: stamp at セブン-イレブン …
    ("lawson", "taxable", 54000, 4909, False),  # … none at ローソン
    ("famima", "non_taxable", 50000, 0, True),
    ("daily", "taxable", 50000, 4545, True),
    ("ministop", "non_taxable", 49999, 0, False),
    ("seicomart", "taxable", 55000, 5000, True),
    ("seicomart", "taxable", 55000, 5001, False),
    ("lawson", "non_taxable", 50000, 0, True),
]


@pytest.mark.parametrize("chain,mode,amount,tax,expected", CASES)
def test_stamp_rule_python_and_sql_agree(chain, mode, amount, tax, expected):
    assert stamp_expected(chain, mode, amount, tax) is expected
    expr = stamp_expected_sql(f"'{chain}'", f"'{mode}'", str(amount), str(tax))
    (got,) = duckdb.connect().execute("select " + expr).fetchone()
    assert got is expected
