"""Pandera schemas of the chains' result records, one per record kind, over the text fields the
readers slice (tasks/feeds/reader.py). Each check is named by what the value must be: that name is
the rejection reason shown to operators (with the record number, field and value).

Cross-field rules that depend on the record's kind (a 02's transfer date, a 03's cancel time, FM
dates blank in S files) are column checks that read the kind from the same frame, so a failure
still names its field.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

# ---- value forms -------------------------------------------------------------------------------


def _is_date(e: pl.Expr, fmt: str = "%Y%m%d") -> pl.Expr:
    return e.str.to_date(fmt, strict=False).is_not_null()


def _is_time(e: pl.Expr, with_seconds: bool) -> pl.Expr:
    ok = e.str.slice(0, 2).cast(pl.Int32, strict=False).is_between(0, 23) & e.str.slice(2, 2).cast(
        pl.Int32, strict=False
    ).is_between(0, 59)
    if with_seconds:
        ok = ok & e.str.slice(4, 2).cast(pl.Int32, strict=False).is_between(0, 59)
    return ok


def _check(name: str, fn) -> pa.Check:
    """A column check whose failure reason is `name`; fn(column expr) -> boolean expr."""
    check = pa.Check(lambda d: d.lazyframe.select(fn(pl.col(d.key)).fill_null(False)), name=name)
    check.expr_fn = fn  # the same test as one Polars expression, for `holds`
    return check


_TESTS: dict[int, tuple[pa.DataFrameSchema, pl.Expr | None]] = {}  # by id: schemas are constants


def _test(schema: pa.DataFrameSchema) -> pl.Expr | None:
    """Every check of `schema` as one boolean expression over a frame (built once per schema);
    None when a check has no Polars form."""
    cached = _TESTS.get(id(schema))
    if cached is None or cached[0] is not schema:
        tests = []
        for name, column in schema.columns.items():
            for check in column.checks:
                fn = getattr(check, "expr_fn", None)
                if fn is None:
                    tests = None
                    break
                tests.append(fn(pl.col(name)).fill_null(False))
            if tests is None:
                break
        expr = None if tests is None else pl.all_horizontal(tests or [pl.lit(True)]).all()
        cached = _TESTS[id(schema)] = (schema, expr)
    return cached[1]


def holds_all(pairs: list[tuple[pl.DataFrame, pa.DataFrameSchema]]) -> bool:
    """True when every check of each schema passes on every row of its frame: all the file's record
    types in one Polars call (`collect_all`), the checks of a schema as one expression.

    The happy path of validation: Pandera runs each check as a query of its own (a few milliseconds
    each, most of it fixed cost), which dominates small files. False means "ask Pandera": it
    names each failure (a null value, a missing column or another type also answer False here).
    """
    queries = []
    for frame, schema in pairs:
        if any(frame.schema.get(name) != pl.String for name in schema.columns):
            return False
        test = _test(schema)
        if test is None:
            return False
        queries.append(frame.lazy().select(test))
    return all(bool(result.item()) for result in pl.collect_all(queries))


def holds(frame: pl.DataFrame, schema: pa.DataFrameSchema) -> bool:
    """`holds_all` of one frame."""
    return holds_all([(frame, schema)])


def digits(n: int) -> pa.Check:
    return _check(f"must be {n} digits", lambda e: e.str.contains(rf"^[0-9]{{{n}}}$"))


def digits_between(lo: int, hi: int) -> pa.Check:
    return _check(f"must be {lo} to {hi} digits", lambda e: e.str.contains(rf"^[0-9]{{{lo},{hi}}}$"))


def not_zero() -> pa.Check:
    """A 0-yen record is no payment (docs/decisions.md, Feeds: implausible data)."""
    return _check("must not be 0 yen", lambda e: ~e.str.contains(r"^0+$"))


def one_of(*values: str) -> pa.Check:
    return _check(f"must be one of {', '.join(values)}", lambda e: e.is_in(values))


def date8() -> pa.Check:
    return _check("must be a date YYYYMMDD", lambda e: e.str.contains(r"^[0-9]{8}$") & _is_date(e))


def time4() -> pa.Check:
    return _check("must be a time HHMM", lambda e: e.str.contains(r"^[0-9]{4}$") & _is_time(e, False))


def time6() -> pa.Check:
    return _check("must be a time hhmmss", lambda e: e.str.contains(r"^[0-9]{6}$") & _is_time(e, True))


def datetime14() -> pa.Check:
    return _check(
        "must be a date and time YYYYMMDDhhmmss",
        lambda e: (
            e.str.contains(r"^[0-9]{14}$") & _is_date(e.str.slice(0, 8)) & _is_time(e.str.slice(8), True)
        ),
    )


def spaces() -> pa.Check:
    return _check("must be spaces", lambda e: e.str.contains(r"^ *$"))


def when_kind(
    kind_col: str, kinds: tuple[str, ...], then: str, then_fn, otherwise: str, other_fn
) -> pa.Check:
    """`then_fn` holds for records whose `kind_col` is in `kinds`, `other_fn` for the others."""
    name = f"must be {then} when {kind_col} is {'/'.join(kinds)}, else {otherwise}"
    return _check(
        name, lambda e: pl.when(pl.col(kind_col).is_in(kinds)).then(then_fn(e)).otherwise(other_fn(e))
    )


def _date_expr(e: pl.Expr) -> pl.Expr:
    return e.str.contains(r"^[0-9]{8}$") & _is_date(e)


def _datetime12_expr(e: pl.Expr) -> pl.Expr:
    return e.str.contains(r"^[0-9]{12}$") & _is_date(e.str.slice(0, 8)) & _is_time(e.str.slice(8), False)


def _text(*checks: pa.Check) -> pa.Column:
    return pa.Column(pl.String, list(checks), nullable=True)


def _schema(name: str, columns: dict[str, pa.Column]) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns, name=name, strict=False)


# ---- SEJ ---------------------------------------------------------------------------------------

SEJ_HEADER = _schema(
    "SEJ header",
    {
        "file_kind": _text(one_of("01", "02")),
        "company_code": _text(digits(6)),
        "created_at": _text(datetime14()),
        "sequence_no": _text(digits(6)),
        "filler": _text(spaces()),
    },
)
SEJ_DATA = _schema(
    "SEJ data",
    {
        "kind": _text(one_of("01", "02", "03")),
        "reference": _text(digits(13)),
        "paid_date": _text(date8()),
        "paid_time": _text(time4()),
        "store_code": _text(digits(7)),
        "amount": _text(digits(6), not_zero()),
        "stamp_flag": _text(one_of("0", "1")),
        "transfer_date": _text(
            when_kind("kind", ("02",), "a date YYYYMMDD", _date_expr, "00000000", lambda e: e == "00000000")
        ),
        "cancelled_at": _text(
            when_kind(
                "kind",
                ("03",),
                "a date and time YYYYMMDDhhmm",
                _datetime12_expr,
                "000000000000",
                lambda e: e == "000000000000",
            )
        ),
        "filler": _text(spaces()),
    },
)
SEJ_TRAILER = _schema("SEJ trailer", {
    "count": _text(digits(6)), "total": _text(digits(12)),
    "cancel_count": _text(digits(6)), "cancel_total": _text(digits(12)), "filler": _text(spaces()),
})
SEJ_END = _schema("SEJ end", {"filler": _text(spaces())})

# ---- FM ----------------------------------------------------------------------------------------

FM_HEADER = _schema(
    "FM header",
    {
        "file_kind": _text(one_of("S", "K")),
        "company_code": _text(digits(5)),
        "created_date": _text(date8()),
        "created_time": _text(time6()),
        "sequence_no": _text(digits(6)),
        "filler": _text(spaces()),
    },
)
FM_DATA = _schema(
    "FM data",
    {
        "division": _text(one_of("1", "2")),
        "company_code": _text(digits(5)),
        "reference": _text(digits(12)),
        "paid_at": _text(datetime14()),
        "store_code": _text(digits(6)),
        "amount": _text(digits(8), not_zero()),
        "stamp_flag": _text(one_of("0", "1")),
        # file_kind is the header's, added by the reader of FM files
        "confirmed_date": _text(
            when_kind("file_kind", ("K",), "a date YYYYMMDD", _date_expr, "spaces", lambda e: e == " " * 8)
        ),
        "transfer_date": _text(
            when_kind("file_kind", ("K",), "a date YYYYMMDD", _date_expr, "spaces", lambda e: e == " " * 8)
        ),
        "filler": _text(spaces()),
    },
)
FM_TRAILER = _schema("FM trailer", {
    "count": _text(digits(7)), "total": _text(digits(12)), "cancel_total": _text(digits(12)),
    "filler": _text(spaces()),
})

# ---- CVS ---------------------------------------------------------------------------------------

CVS_DATA = _schema(
    "CVS data",
    {
        "kind": _text(one_of("01", "02", "03")),
        "paid_date": _text(date8()),
        "paid_time": _text(time4()),
        "barcode": _text(digits(44)),
        "stamp_flag": _text(one_of("0", "1")),
        "amount": _text(digits_between(1, 9), not_zero()),
        "chain_code": _text(one_of("020", "080", "050", "760")),
        # informative, but it must read as full-width Japanese: mojibake here means a wrong encoding
        "chain_name": _text(
            _check(
                "must be the chain's name in full-width characters",
                lambda e: e.str.contains(r"^[^\x00-\x7f\uff61-\uff9f\ufffd]+$"),
            )
        ),
        "store_code": _text(digits_between(1, 7)),
        "transfer_date": _text(
            when_kind("kind", ("02",), "a date YYYYMMDD", _date_expr, "0", lambda e: e == "0")
        ),
        "data_date": _text(date8()),
    },
)
CVS_TRAILER = _schema(
    "CVS trailer",
    {
        "record_type": _text(one_of("99")),
        "count": _text(digits_between(1, 9)),
        "total": _text(digits_between(1, 12)),
        "cancel_count": _text(digits_between(1, 9)),
        "cancel_total": _text(digits_between(1, 12)),
    },
)
