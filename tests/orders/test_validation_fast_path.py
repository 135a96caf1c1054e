"""`schemas.orders.failures` answers a valid frame in one Polars query and asks Pandera for anything
else: its result is Pandera's own, for valid rows, rule failures, nulls in required columns and
columns of another type."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
import pytest

from schemas.orders import CANCEL_FORM, ORDER_COLUMNS, ORDER_FORM, ORDER_RULES, failures

ROW = {
    "merchant_id": "M000001", "site_id": "S000001", "order_id": "T-1", "chain": "seven",
    "payment_reference": "1000000000101", "amount": "3980", "tax_mode": "taxable", "tax_amount": "361",
    "ordered_at": "2026-11-02T10:00:00+09:00", "due_date": "2026-11-09",
    "customer_name_kana": "ヤマダ　タロウ", "customer_phone": "0312345678",
    "customer_email": "taro@example.jp",
}


def _pandera(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> set[tuple[int, str, str]]:
    """What Pandera itself finds, as (row, field, reason)."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
        return {(int(i), c, k) for i, c, k in fc.select("index", "column", "check").iter_rows()}
    return set()


def _found(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> set[tuple[int, str, str]]:
    return set(failures(schema, frame).iter_rows())


def _rows(*changes: dict) -> pl.DataFrame:
    return pl.DataFrame([{**ROW, **c} for c in changes], schema={c: pl.String for c in ORDER_COLUMNS})


def test_valid_rows_have_no_failure_and_pandera_agrees():
    frame = _rows({}, {"order_id": "T-2", "payment_reference": "1000000000102"})
    assert _found(ORDER_FORM, frame) == _pandera(ORDER_FORM, frame) == set()


@pytest.mark.parametrize("column", ORDER_COLUMNS)
def test_a_null_in_a_required_column_is_worded_by_pandera(column):
    frame = _rows({}, {column: None})
    found = _found(ORDER_FORM, frame)
    assert found and found == _pandera(ORDER_FORM, frame)
    assert {(row, field) for row, field, _ in found} == {(1, column)}


@pytest.mark.parametrize("change", [{"amount": "0"}, {"due_date": "2026-10-01"}, {"tax_mode": "non_taxable"},
                                    {"payment_reference": "12"}])
def test_a_broken_rule_is_worded_by_pandera(change):
    raw = _rows({}, change)
    typed = raw.with_columns(
        pl.col("amount").cast(pl.Int64), pl.col("tax_amount").cast(pl.Int64),
        pl.col("due_date").str.to_date("%Y-%m-%d"),
        pl.col("ordered_at").str.to_datetime("%Y-%m-%dT%H:%M:%S%:z").dt.replace_time_zone(None),
    )
    found = _found(ORDER_RULES, typed)
    assert found and found == _pandera(ORDER_RULES, typed)
    assert {row for row, _, _ in found} == {1}


def test_a_column_of_another_type_is_still_a_bug_not_a_reason():
    frame = pl.DataFrame({"merchant_id": ["M000001"], "order_id": ["T-1"], "cancelled_at": [1]})
    with pytest.raises(RuntimeError, match="cancellation row"):
        failures(CANCEL_FORM, frame)
