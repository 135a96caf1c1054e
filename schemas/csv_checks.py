"""Pandera checks over the string columns of the CSV files people send us (the order feed,
merchant cancellations, the merchant master), shared by schemas/orders.py and schemas/master.py.

A check's `error` is the reason a rejection shows, so each names what the field must be.
"""

from __future__ import annotations

from collections.abc import Callable

import pandera.polars as pa
import polars as pl


def matches(regex: str, error: str) -> pa.Check:
    """The field's text matches `regex`."""
    return pa.Check(lambda data: data.lazyframe.select(pl.col(data.key).str.contains(regex)), error=error)


def one_of(values: tuple[str, ...]) -> pa.Check:
    """The field is one of `values`."""
    return matches(f"^({'|'.join(values)})$", f"must be one of {', '.join(values)}")


def parses(expr_of: Callable[[str], pl.Expr], error: str) -> pa.Check:
    """`expr_of(column)` (a parser giving null for what it cannot read) reads the field."""
    return pa.Check(lambda data: data.lazyframe.select(expr_of(data.key).is_not_null()), error=error)


def holds(expr: pl.Expr, error: str) -> pa.Check:
    """Holds where `expr` is true or cannot be judged (null)."""
    return pa.Check(lambda data: data.lazyframe.select(expr.fill_null(True)), error=error)


def text(*checks: pa.Check) -> pa.Column:
    """A required string column with these checks."""
    return pa.Column(pl.String, checks=list(checks), nullable=False)
