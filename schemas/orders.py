"""The order feed and merchant cancellations (orders-and-master.md) as Pandera schemas.

Two stages, both over Polars frames with one row per CSV data row:
- `ORDER_FORM` checks each field as written (all columns are strings): its form, one reason per
  field that is not of its form.
- `ORDER_RULES` checks the typed row (ints, dates, JST times; null where the form was wrong): the
  business rules between fields. A rule passes when a field it needs is null, so a row gets the
  reason about the field's form and not, on top, every rule that cannot be judged.
Each check is attached to the field the reason names, and its `error` is the reason.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas.csv_checks import holds, matches, one_of, parses, text

CHAINS = ("seven", "lawson", "famima", "ministop", "daily", "seicomart")
# Payment reference length per chain (digits).
REFERENCE_DIGITS = {"seven": 13, "famima": 12, "lawson": 11, "ministop": 11, "daily": 11, "seicomart": 11}
AMOUNT_MIN, AMOUNT_MAX = 1, 300_000
DUE_DAYS_MAX = 60
DUE_DAYS_MIN = {"famima": 1}  # the other chains: 0 (due on the order day)

ORDER_COLUMNS = (
    "merchant_id", "site_id", "order_id", "chain", "payment_reference", "amount", "tax_mode",
    "tax_amount", "ordered_at", "due_date", "customer_name_kana", "customer_phone", "customer_email",
)
# Personal data (個人情報): its values never reach rejections, reports or logs.
PERSONAL_COLUMNS = frozenset({"customer_name_kana", "customer_phone", "customer_email"})
CANCEL_COLUMNS = ("merchant_id", "order_id", "cancelled_at")

# ISO 8601 with seconds and an offset (`Z` or ±HH:MM); fractions of a second allowed.
# ASCII digits only, here and below: `\d` would also take full-width ones (１２３).
ISO_OFFSET_RE = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
                 r"(Z|[+-][0-9]{2}:[0-9]{2})$")
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Full-width katakana (ァ..ヶ, ヴ included), the long-vowel mark and the full-width space.
KANA_NAME_RE = r"^[\x{30A1}-\x{30F6}\x{30FC}\x{3000}]{1,40}$"
EMAIL_RE = r"^$|^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"  # noqa: E501


def parse_iso_offset(col: str) -> pl.Expr:
    """ISO 8601 with offset -> naive JST datetime (null when not of that form)."""
    text = pl.col(col).str.replace(r"Z$", "+00:00")
    parsed = text.str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_zone="Asia/Tokyo", time_unit="us"
    )
    return pl.when(pl.col(col).str.contains(ISO_OFFSET_RE)).then(parsed.dt.replace_time_zone(None))


def parse_date(col: str) -> pl.Expr:
    """YYYY-MM-DD of a real day -> date, else null."""
    return pl.when(pl.col(col).str.contains(DATE_RE)).then(pl.col(col).str.to_date("%Y-%m-%d", strict=False))


def parse_int(col: str, max_digits: int = 9) -> pl.Expr:
    """Digits only (no sign, no separators), at most `max_digits`, else null."""
    digits = pl.col(col).str.contains(rf"^[0-9]{{1,{max_digits}}}$")
    return pl.when(digits).then(pl.col(col).cast(pl.Int64, strict=False))


MERCHANT_ID = matches(r"^M[0-9]{6}$", "must be M followed by 6 digits")
SITE_ID = matches(r"^S[0-9]{6}$", "must be S followed by 6 digits")
ORDER_ID = matches(r"^[A-Za-z0-9_-]{1,32}$", "must be 1 to 32 of A-Z a-z 0-9 - _")
ISO_OFFSET = parses(parse_iso_offset, "must be an ISO 8601 date and time with seconds and offset, "
                                      "e.g. 2026-11-26T10:15:00+09:00")

ORDER_FORM = pa.DataFrameSchema(
    {
        "merchant_id": text(MERCHANT_ID),
        "site_id": text(SITE_ID),
        "order_id": text(ORDER_ID),
        "chain": text(one_of(CHAINS)),
        "payment_reference": text(matches(r"^[0-9]+$", "must be digits only")),
        "amount": text(parses(parse_int, "must be an integer number of yen (digits only)")),
        "tax_mode": text(matches(r"^(taxable|non_taxable)$", "must be taxable or non_taxable")),
        "tax_amount": text(parses(parse_int, "must be an integer number of yen (digits only)")),
        "ordered_at": text(ISO_OFFSET),
        "due_date": text(parses(parse_date, "must be a real date YYYY-MM-DD")),
        "customer_name_kana": text(matches(
            KANA_NAME_RE, "must be 1 to 40 full-width katakana, ー or full-width spaces")),
        "customer_phone": text(matches(r"^[0-9]{10,11}$", "must be 10 or 11 digits")),
        "customer_email": text(matches(EMAIL_RE, "must be an e-mail address or empty")),
    },
    strict=False,
    name="order row (form)",
)

_DUE_DAYS = (pl.col("due_date") - pl.col("ordered_at").dt.date()).dt.total_days()
_CHAINS_BY_REFERENCE_DIGITS = {
    n: [c for c in CHAINS if REFERENCE_DIGITS[c] == n]
    for n in sorted(set(REFERENCE_DIGITS.values()), reverse=True)
}

ORDER_RULES = pa.DataFrameSchema(
    {
        "amount": pa.Column(pl.Int64, nullable=True, checks=[holds(
            pl.col("amount").is_between(AMOUNT_MIN, AMOUNT_MAX),
            f"must be from {AMOUNT_MIN} to {AMOUNT_MAX:,} yen")]),
        "tax_amount": pa.Column(pl.Int64, nullable=True, checks=[
            holds(pl.when(pl.col("tax_mode") == "non_taxable").then(pl.col("tax_amount") == 0),
                  "must be 0 when tax_mode is non_taxable"),
            holds(pl.when(pl.col("tax_mode") == "taxable")
                  .then(pl.col("tax_amount") <= pl.col("amount") - 1),
                  "must be from 0 to amount - 1 when tax_mode is taxable"),
        ]),
        "due_date": pa.Column(pl.Date, nullable=True, checks=[
            holds(pl.when(pl.col("chain") != "famima").then(_DUE_DAYS >= 0),
                  "must not be before the order date (the JST date of ordered_at)"),
            holds(pl.when(pl.col("chain") == "famima").then(_DUE_DAYS >= DUE_DAYS_MIN["famima"]),
                  "must be at least 1 day after the order date (the JST date of ordered_at) for famima"),
            holds(_DUE_DAYS <= DUE_DAYS_MAX,
                  f"must be at most {DUE_DAYS_MAX} days after the order date (the JST date of ordered_at)"),
        ]),
        "payment_reference": pa.Column(pl.String, nullable=True, checks=[
            holds(pl.when(pl.col("chain").is_in(chains))
                  .then(pl.col("payment_reference").str.len_chars() == n),
                  f"must have {n} digits for {' and '.join(chains)}")
            for n, chains in _CHAINS_BY_REFERENCE_DIGITS.items()
        ]),
    },
    strict=False,
    name="order row (rules)",
)

CANCEL_FORM = pa.DataFrameSchema(
    {"merchant_id": text(MERCHANT_ID), "order_id": text(ORDER_ID), "cancelled_at": text(ISO_OFFSET)},
    strict=False,
    name="cancellation row (form)",
)


_ALL_PASS: dict[int, tuple[pa.DataFrameSchema, pl.Expr | None]] = {}  # by id: schemas are constants


def _all_pass(schema: pa.DataFrameSchema) -> pl.Expr | None:
    """True when no row fails a check of `schema` nor leaves a required column empty: every check as
    one boolean expression (built once per schema); None when the schema has a check that only
    Pandera runs (no `passes` expression, a frame-wide check, a uniqueness)."""
    cached = _ALL_PASS.get(id(schema))
    if cached is None or cached[0] is not schema:
        tests: list[pl.Expr] | None = []
        if schema.checks or schema.unique:
            tests = None
        for name, column in schema.columns.items():
            if tests is None or column.unique or any(not hasattr(c, "passes") for c in column.checks):
                tests = None
                break
            tests += [c.passes(name).fill_null(False) for c in column.checks]
            if not column.nullable:
                tests.append(pl.col(name).is_not_null())
        expr = None if tests is None else pl.all_horizontal(tests or [pl.lit(True)]).all()
        cached = _ALL_PASS[id(schema)] = (schema, expr)
    return cached[1]


def _passes(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> bool:
    """The happy path of `failures`: every column of its type and every check true on every row,
    in one Polars query instead of Pandera's query per check (~50 ms a call, most of it fixed cost).
    False means "ask Pandera", which words each failure (a null, another type also answer False)."""
    test = _all_pass(schema)
    columns = schema.columns.items()
    if test is None or any(frame.schema.get(name) != column.dtype.type for name, column in columns):
        return False
    return frame.height == 0 or bool(frame.select(test).item())


def failures(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> pl.DataFrame:
    """Every failed check as (row index, field, reason); empty when the frame is valid."""
    empty = pl.DataFrame(schema={"row": pl.Int64, "field": pl.String, "reason": pl.String})
    if _passes(schema, frame):
        return empty
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
        unexpected = fc.filter(pl.col("index").is_null())
        if unexpected.height:  # a schema-level failure (missing column, wrong type): a bug, not data
            raise RuntimeError(f"{schema.name}: {unexpected.to_dicts()}") from e
        return fc.select(
            pl.col("index").cast(pl.Int64).alias("row"),
            pl.col("column").alias("field"),
            pl.col("check").alias("reason"),
        )
    return empty


def quick_failures(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> pl.DataFrame:
    """The same checks as `failures` (the same Check objects, their same expressions and reasons),
    evaluated in one Polars select without Pandera's per-call overhead (~50 ms): for the order API,
    where a request holds a few rows and must answer in milliseconds. tests/api/test_rules.py keeps
    the two equal."""
    labels = [(name, check) for name, column in schema.columns.items() for check in column.checks]
    ok = frame.select(pl.col("row"), *(check.passes(name).fill_null(False).alias(str(i))
                                       for i, (name, check) in enumerate(labels)))
    failed = ok.unpivot(index="row", variable_name="check", value_name="ok").filter(~pl.col("ok"))
    names = pl.DataFrame({"check": [str(i) for i in range(len(labels))],
                          "field": [name for name, _ in labels], "reason": [c.error for _, c in labels]})
    return failed.join(names, on="check").select(pl.col("row").cast(pl.Int64), "field", "reason")
