"""Pandera checks over the string columns of the CSV files people send us (the order feed,
merchant cancellations, the merchant master), shared by schemas/orders.py and schemas/master.py.

A check's `error` is the reason a rejection shows, so each names what the field must be.
"""

from __future__ import annotations

from collections.abc import Callable

import pandera.polars as pa
import polars as pl


def check(passes: Callable[[str], pl.Expr], error: str) -> pa.Check:
    """A check from `passes(column) -> boolean expression`. The expression is kept on the check
    (`check.passes`) so that schemas.orders.quick_failures evaluates the very same rule without
    Pandera's per-call overhead (the order API)."""
    made = pa.Check(lambda data: data.lazyframe.select(passes(data.key)), error=error)
    made.passes = passes
    return made


def matches(regex: str, error: str) -> pa.Check:
    """The field's text matches `regex`."""
    return check(lambda key: pl.col(key).str.contains(regex), error)


def one_of(values: tuple[str, ...]) -> pa.Check:
    """The field is one of `values`."""
    return matches(f"^({'|'.join(values)})$", f"must be one of {', '.join(values)}")


def parses(expr_of: Callable[[str], pl.Expr], error: str) -> pa.Check:
    """`expr_of(column)` (a parser giving null for what it cannot read) reads the field."""
    return check(lambda key: expr_of(key).is_not_null(), error)


def holds(expr: pl.Expr, error: str) -> pa.Check:
    """Holds where `expr` is true or cannot be judged (null)."""
    return check(lambda _key: expr.fill_null(True), error)


def text(*checks: pa.Check) -> pa.Column:
    """A required string column with these checks."""
    return pa.Column(pl.String, checks=list(checks), nullable=False)
