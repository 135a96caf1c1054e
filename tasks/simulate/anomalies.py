"""The anomalies the simulator can inject, as a table: name, default rate, what the rate counts, effect.

Rates are probabilities in [0, 1]; 0 disables an anomaly. Order-level anomalies are *fates*: each
valid order draws exactly one fate, so one order never mixes two anomalies and the exceptions a
scenario must raise stay countable. Row, record and file anomalies are drawn independently.
"""

from __future__ import annotations

from dataclasses import dataclass

from tasks.errors import KonbiniError


@dataclass(frozen=True)
class Anomaly:
    name: str
    default_rate: float
    per: str  # what one draw is: order, order row, record, feed file
    effect: str  # what the back office should see (rules.md codes)


ANOMALIES: tuple[Anomaly, ...] = (
    Anomaly("bad_order_row", 0.002, "order row", "an invalid row the order feed rejects"),
    Anomaly("duplicate_payment", 0.002, "order", "paid twice on time: DUPLICATE_PAYMENT on the second"),
    Anomaly("late_payment", 0.003, "order", "paid 1-5 days after the due date: PAID_AFTER_DUE"),
    Anomaly("amount_mismatch", 0.002, "order", "paid another amount (seven/famima only): AMOUNT_MISMATCH"),
    Anomaly("unknown_reference", 0.002, "order", "paid with a reference no order has: UNKNOWN_REFERENCE"),
    Anomaly("confirm_without_prelim", 0.002, "order", "02 without its 01: CONFIRM_WITHOUT_PRELIM"),
    Anomaly("cancel_without_prelim", 0.001, "order", "a voided attempt, its 01 lost: CANCEL_WITHOUT_PRELIM"),
    Anomaly("confirm_after_cancel", 0.001, "order", "01, 03 and still a 02: CONFIRM_AFTER_CANCEL"),
    Anomaly("prelim_not_confirmed", 0.002, "order", "01 whose 02 never comes: PRELIM_NOT_CONFIRMED"),
    Anomaly("stamp_mismatch", 0.001, "order", "store's stamp flag contradicts our rule: STAMP_MISMATCH"),
    Anomaly("paid_after_cancel", 0.001, "order", "cancelled by the merchant, paid anyway: PAID_AFTER_CANCEL"),
    Anomaly("resent_record", 0.002, "record", "the same record again in the next file of its kind"),
    Anomaly("duplicate_file", 0.01, "feed file", "an identical copy under redeliver/, for a later pull"),
    Anomaly("sequence_gap", 0.005, "feed file", "a sequence number skipped before it: FILE_SEQUENCE_GAP"),
    Anomaly("corrupt_file", 0.005, "feed file", "broken (quarantined), then corrected with the same number"),
    Anomaly("short_remittance", 0.02, "remittance", "a chain pays up to 1,000 yen less: REMITTANCE_SHORT"),
    Anomaly("late_remittance", 0.05, "remittance", "paid 1-3 business days late: REMITTANCE_SHORT, cleared"),
    Anomaly("over_remittance", 0.02, "remittance", "a chain pays up to 1,000 yen more: REMITTANCE_OVER"),
    Anomaly("unknown_remitter", 0.05, "bank file", "a transfer from a name no rule knows: UNKNOWN_REMITTER"),
)
BY_NAME = {a.name: a for a in ANOMALIES}

# Order fates that are anomalies, in the order of the table (the fate draw walks them in this order).
ANOMALY_FATES = tuple(a.name for a in ANOMALIES if a.per == "order")
# Ordinary life, not anomalies: a few orders are cancelled by the merchant, a few till payments voided.
MERCHANT_CANCEL_RATE = 0.005
PRELIM_CANCEL_RATE = 0.005  # 01 then 03 (customer lacked cash); half of them pay again later
UNPAID_RATE = 0.12
MAX_ORDER_ANOMALY_SHARE = 0.5
REMITTANCE_ANOMALIES = ("short_remittance", "late_remittance", "over_remittance")  # one draw per remittance


def resolve_rates(anomalies: dict[str, float] | None) -> dict[str, float]:
    """Every anomaly's rate: the defaults, overridden by `anomalies`; bad names or values raise."""
    rates = {a.name: a.default_rate for a in ANOMALIES}
    for name, rate in (anomalies or {}).items():
        if name not in BY_NAME:
            raise KonbiniError(f"unknown anomaly {name!r}; known: {', '.join(BY_NAME)}")
        if not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise KonbiniError(f"anomaly {name}: rate must be a number from 0 to 1, not {rate!r}")
        rates[name] = float(rate)
    share = sum(rates[n] for n in ANOMALY_FATES)
    if share > MAX_ORDER_ANOMALY_SHARE:
        raise KonbiniError(
            f"order anomalies add up to {share:g} of all orders; at most {MAX_ORDER_ANOMALY_SHARE} "
            "(the rest must stay ordinary paid and unpaid orders)"
        )
    remittance = sum(rates[n] for n in REMITTANCE_ANOMALIES)
    if remittance > 1:
        raise KonbiniError(f"remittance anomalies ({', '.join(REMITTANCE_ANOMALIES)}) add up to"
                           f" {remittance:g}; at most 1 (one draw per source and transfer date)")
    return rates


def parse_rate_options(options: list[str]) -> dict[str, float]:
    """`NAME=RATE` options of the CLI (`--anomaly-rate late_payment=0.01`)."""
    out: dict[str, float] = {}
    for opt in options:
        name, sep, value = opt.partition("=")
        if not sep:
            raise KonbiniError(f"--anomaly-rate {opt!r}: expected NAME=RATE, e.g. late_payment=0.01")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise KonbiniError(f"--anomaly-rate {opt!r}: {value!r} is not a number") from None
    return out
