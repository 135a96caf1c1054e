"""The merchant master files (orders-and-master.md) as Pandera schemas over their string columns.

Each check is attached to the field its reason names and its `error` is the reason. Rules that
need more than one row or file (duplicate ids, unknown references, what existing orders and
settlements still need) and the Zengin character set of `name_kana` live in tasks/master.py.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas.csv_checks import holds, matches, one_of, parses, text
from schemas.orders import CHAINS, EMAIL_RE, MERCHANT_ID, SITE_ID, parse_date, parse_int

MERCHANT_COLUMNS = (
    "merchant_id", "name", "name_kana", "status", "contract_start", "settlement_cycle", "fee_plan",
    "bank_code", "branch_code", "account_type", "account_number", "notify_url", "notify_secret", "email",
)
SITE_COLUMNS = ("site_id", "merchant_id", "url", "chains", "status")
FEE_COLUMNS = tuple(f"fee_{c}" for c in CHAINS)
FEE_PLAN_COLUMNS = ("plan_id", "initial_fee", "monthly_fee", *FEE_COLUMNS, "rate_bp")
FILES = {"merchants.csv": MERCHANT_COLUMNS, "sites.csv": SITE_COLUMNS, "fee_plans.csv": FEE_PLAN_COLUMNS}

JAPAN_POST_BANK = "9900"  # ゆうちょ銀行: never accepted, never paid (rules.md)
NAME_MAX = 60
NAME_KANA_MAX = 30  # the Zengin holder-name field
SECRET_MIN = 32
MERCHANT_STATUSES = ("active", "suspended", "terminated")
SITE_STATUSES = ("active", "closed")
PLAN_ID_RE = r"^[A-Za-z0-9_-]{1,32}$"
MAX_RATE_BP = 10_000  # 100 %

_YEN = parses(parse_int, "must be a non-negative integer of yen (digits only)")


MERCHANTS = pa.DataFrameSchema(
    {
        "merchant_id": text(MERCHANT_ID),
        "name": text(matches(rf"^\S.{{0,{NAME_MAX - 1}}}$",
                             f"must be 1 to {NAME_MAX} characters, not starting with a space")),
        # name_kana: the Zengin character set is checked in tasks/master.py (with the character)
        "name_kana": text(matches(r"^.+$", "must not be empty")),
        "status": text(one_of(MERCHANT_STATUSES)),
        "contract_start": text(parses(parse_date, "must be a real date YYYY-MM-DD")),
        "settlement_cycle": text(matches(r"^(1|2|6)$", "must be 1, 2 or 6 (payouts a month)")),
        "fee_plan": text(matches(PLAN_ID_RE, "must be a plan_id (1 to 32 of A-Z a-z 0-9 - _)")),
        "bank_code": text(
            matches(r"^[0-9]{4}$", "must be 4 digits"),
            holds(pl.col("bank_code") != JAPAN_POST_BANK,
                  "bank 9900 (ゆうちょ銀行, Japan Post Bank) is not allowed"),
        ),
        "branch_code": text(matches(r"^[0-9]{3}$", "must be 3 digits")),
        "account_type": text(matches(r"^(1|2)$", "must be 1 (普通, ordinary) or 2 (当座, current)")),
        "account_number": text(matches(r"^[0-9]{7}$", "must be 7 digits")),
        "notify_url": text(matches(r"^$|^https://[^\s/?#]+[^\s]*$", "must be empty or an https:// URL")),
        "notify_secret": text(
            matches(rf"^$|^\S{{{SECRET_MIN},}}$",
                    f"must be empty or at least {SECRET_MIN} characters without spaces"),
            holds((pl.col("notify_url") == "") | (pl.col("notify_secret") != ""),
                  f"is required (at least {SECRET_MIN} characters) when notify_url is given"),
        ),
        "email": text(matches(EMAIL_RE.removeprefix("^$|"), "must be an e-mail address")),
    },
    strict=False,
    name="merchants.csv",
)

_CHAIN_LIST = pl.col("chains").str.split("|")

SITES = pa.DataFrameSchema(
    {
        "site_id": text(SITE_ID),
        "merchant_id": text(MERCHANT_ID),
        "url": text(matches(r"^https?://\S+$", "must be an http(s):// URL")),
        "chains": text(
            matches(rf"^({'|'.join(CHAINS)})(\|({'|'.join(CHAINS)}))*$",
                    f"must be chain codes ({', '.join(CHAINS)}) separated by |"),
            holds(_CHAIN_LIST.list.n_unique() == _CHAIN_LIST.list.len(), "must not name a chain twice"),
        ),
        "status": text(one_of(SITE_STATUSES)),
    },
    strict=False,
    name="sites.csv",
)

FEE_PLANS = pa.DataFrameSchema(
    {
        "plan_id": text(matches(PLAN_ID_RE, "must be 1 to 32 of A-Z a-z 0-9 - _")),
        **{c: text(_YEN) for c in ("initial_fee", "monthly_fee", *FEE_COLUMNS)},
        "rate_bp": text(
            parses(parse_int, "must be a non-negative integer of basis points (digits only)"),
            holds(parse_int("rate_bp") <= MAX_RATE_BP, f"must be at most {MAX_RATE_BP} (100 %)"),
        ),
    },
    strict=False,
    name="fee_plans.csv",
)

SCHEMAS = {"merchants.csv": MERCHANTS, "sites.csv": SITES, "fee_plans.csv": FEE_PLANS}
