"""The reconciliation exceptions of rules.md, as a table.

Every payment rule is a row: when it applies (`where`), the time it was raised and the time it
cleared by itself, as SQL expressions over one row per payment (`rc_pay`, built in steps.py).
The engine (steps.raised) selects every rule, keeps an exception only when it was raised by `as_of`
and not cleared at the very moment it was raised (e.g. a 01 and its 02 ingested in the same pull),
and never needs an `if` per code. Columns of `rc_pay` the expressions use:

    live_at        first ingestion of its 01 or 02      prelim_at / confirmed_at / cancel_at
    order_at       ingestion of its order (null: none)   cancellation_at  the order's cancellation
    base_code      UNKNOWN/PAID_AFTER_DUE/AMOUNT_MISMATCH/PAID_AFTER_CANCEL computed as if not voided
    duplicate      a live payment of an order that has its order's payment (and is not it)
    op_live_at     live_at of the order's payment        pnc_deadline  00:00 after 10 bank days
    voided_at      cancel_at when the 03 voids it (null when a released CONFIRM_AFTER_CANCEL keeps it live)
    stamp_mismatch, stamp_mismatch_at, stamp_detail
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from tasks.bank_calendar import add_business_days

RELEASE, REFUND, DISMISS = "release", "refund", "dismiss"
ACTIONS = (RELEASE, REFUND, DISMISS)


@dataclass(frozen=True)
class ExceptionRule:
    code: str
    holds: bool  # holds the payment out of settlement while open
    raised_when: str  # for people (docs, CLI `show`)
    clears_when: str | None
    actions: tuple[str, ...]  # what an operator may do
    where: str | None = None  # SQL over `relation`; None for FILE_SEQUENCE_GAP (its own relation)
    raised_at: str | None = None
    cleared_at: str | None = None
    detail: str = "null"
    relation: str = "rc_pay"  # the step whose rows `where` reads (treasury: global, like the gaps)


def _remittance(code: str, sign: str, other: str) -> ExceptionRule:
    """REMITTANCE_SHORT / _OVER (treasury.md): rows of rc_remittance, one per source and first day."""
    return ExceptionRule(
        code, False,
        f"a chain's balance (expected minus received) is {sign} at the end of a covered bank day",
        f"its balance returns to 0 (or turns {other})",
        (DISMISS,),
        where=f"code = '{code}'",
        raised_at="raised_at",
        cleared_at="cleared_at",
        detail="detail",
        relation="rc_remittance",
    )


def _matching(code: str, raised_when: str, raised_at: str) -> ExceptionRule:
    """A code of MATCHING (below): raised on a live payment given that base code, held until
    released or refunded, cleared when the payment is voided."""
    return ExceptionRule(code, True, raised_when, "the payment is voided", (RELEASE, REFUND),
                         where=f"base_code = '{code}'", raised_at=raised_at, cleared_at="voided_at")


# Order matters: the first open holding rule of a payment is its holding_code.
RULES: tuple[ExceptionRule, ...] = (
    ExceptionRule(
        "UNKNOWN_REFERENCE", True,
        "a payment whose reference matches no order of its chain",
        "its order arrives (unless already resolved); or the payment is voided",
        (REFUND,),  # no merchant to settle to while the order is unknown
        where="live_at is not null and (order_at is null or order_at > live_at)",
        raised_at="live_at",
        cleared_at="least(order_at, voided_at)",
    ),
    _matching("PAID_AFTER_DUE", "a live payment whose paid date is after the due date",
              raised_at="greatest(live_at, order_at)"),
    _matching("AMOUNT_MISMATCH", "a live payment whose amount differs from its order's",
              raised_at="greatest(live_at, order_at)"),
    _matching("PAID_AFTER_CANCEL", "a live payment of an order with a stored merchant cancellation",
              raised_at="greatest(live_at, order_at, cancellation_at)"),
    ExceptionRule(
        "DUPLICATE_PAYMENT", True,
        "a live payment of an order that already has its order's payment",
        None,
        (RELEASE, REFUND),
        where="duplicate",
        raised_at="greatest(live_at, order_at, op_live_at)",
    ),
    ExceptionRule(
        "CONFIRM_AFTER_CANCEL", True,
        "a payment with both a 02 and a 03 (voided, yet confirmed)",
        None,
        (RELEASE, REFUND),  # release: the confirmation stands and the payment counts as live
        where="confirmed_at is not null and cancel_at is not null",
        raised_at="greatest(confirmed_at, cancel_at)",
    ),
    ExceptionRule(
        "CANCEL_WITHOUT_PRELIM", False,
        "a payment with a 03 and no 01",
        "its 01 arrives",
        (DISMISS,),
        where="cancel_at is not null",
        raised_at="cancel_at",
        cleared_at="prelim_at",
    ),
    ExceptionRule(
        "CONFIRM_WITHOUT_PRELIM", False,
        "a payment with a 02 and no 01",
        "its 01 arrives",
        (DISMISS,),
        where="confirmed_at is not null",
        raised_at="confirmed_at",
        cleared_at="prelim_at",
    ),
    ExceptionRule(
        "PRELIM_NOT_CONFIRMED", False,
        "a live payment with a 01 and no 02 from 00:00 JST after the 10th bank business day after"
        " its paid date",
        "its 02 arrives (or a 03 voids it)",
        (DISMISS,),
        where="prelim_at is not null",
        raised_at="greatest(prelim_at, pnc_deadline)",
        cleared_at="least(confirmed_at, voided_at)",
    ),
    ExceptionRule(
        "STAMP_MISMATCH", False,
        "a payment of a known order whose 01 or 02 stamp flag differs from our stamp rule",
        None,
        (DISMISS,),
        where="stamp_mismatch",
        raised_at="greatest(order_at, stamp_mismatch_at)",
        detail="stamp_detail",
    ),
    _remittance("REMITTANCE_SHORT", "positive", "negative"),
    _remittance("REMITTANCE_OVER", "negative", "positive"),
    ExceptionRule(
        "UNKNOWN_REMITTER", False,
        "a received transfer no rule matches (no source's remitter name, no returned payout, no receivable)",
        "it is claimed (returned payout, receivable) or cancelled by the bank",
        (DISMISS,),
        where="source is null",
        raised_at="first_at",
        cleared_at="least(claimed_at, cancelled_at)",
        detail="remitter_name || ' 照会番号 ' || inquiry_no",
        relation="rc_bank_transfers",
    ),
    ExceptionRule(
        "FILE_SEQUENCE_GAP", False,
        "a sequence number not accepted 1 hour after a higher one of the same sequence was accepted",
        "the missing file is accepted",
        (DISMISS,),
    ),
)

BY_CODE: dict[str, ExceptionRule] = {r.code: r for r in RULES}
# The columns naming an exception's subject, with their types; a rule's relation has some of them
# (rc_pay: the payment's), the others are null. The id is md5 of the code and the non-null ones.
SUBJECT: tuple[tuple[str, str], ...] = (
    ("payment_id", "varchar"), ("merchant_id", "varchar"), ("order_id", "varchar"), ("chain", "varchar"),
    ("reference", "varchar"), ("amount", "bigint"), ("sequence_kind", "varchar"), ("sequence_no", "integer"),
    ("source", "varchar"), ("bank_day", "date"), ("transfer_id", "varchar"),
)
CODES = tuple(BY_CODE)
# The one matching code a live payment other than its order's payment gets: the first that applies,
# in this order (SQL over a payment `a` and its order `o`); failing all, DUPLICATE_PAYMENT.
MATCHING: tuple[tuple[str, str], ...] = (
    ("PAID_AFTER_DUE", "a.paid_date > o.due_date"),
    ("AMOUNT_MISMATCH", "a.amount <> o.amount"),
    ("PAID_AFTER_CANCEL", "o.cancellation_at is not null"),
)
MATCHING_FALLBACK = "DUPLICATE_PAYMENT"
GAP_GRACE_HOURS = 1
PRELIM_CONFIRM_BANK_DAYS = 10


def __getattr__(name: str) -> tuple[str, ...]:
    """SEQUENCE_KINDS, the inbox kinds with file sequence numbers (tasks/inbox_kinds.py), read when
    first asked for: the inbox's registry imports every file handler (Polars, Pandera: seconds of
    CPU), which the rule table's readers (`konbini exceptions list|show`) must not pay for."""
    if name == "SEQUENCE_KINDS":
        from tasks.inbox_kinds import SEQUENCED

        return SEQUENCED
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def exception_id(code: str, *subject: object) -> str:
    """'EX' + 12 hex of md5(code|subject…), the same expression steps.raised uses in SQL."""
    text = "|".join([code, *map(str, subject)])
    return "EX" + hashlib.md5(text.encode()).hexdigest()[:12]


def prelim_deadline(paid_date: date) -> datetime:
    """00:00 JST after the 10th bank business day after the paid date (PRELIM_NOT_CONFIRMED)."""
    d = add_business_days(paid_date, PRELIM_CONFIRM_BANK_DAYS) + timedelta(days=1)
    return datetime(d.year, d.month, d.day)


_COLUMNS: dict[str, frozenset[str]] = {}


def relation_columns(con: duckdb.DuckDBPyConnection, relation: str) -> frozenset[str]:
    """The columns of a rule's relation (a step of the run), asked once per process: the step's SQL,
    hence its columns, is fixed by the code (a run asked 13 times, ~1 ms each)."""
    if relation not in _COLUMNS:
        described = con.execute(f"select * from {relation} limit 0").description
        _COLUMNS[relation] = frozenset(d[0] for d in described)
    return _COLUMNS[relation]
