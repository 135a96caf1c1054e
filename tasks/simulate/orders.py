"""Simulated orders (注文) and merchant cancellations, and the ORDERS_* / ORDER_CANCELS_* files.

The payment-selection front end delivers the orders of each hour in one file at 5 minutes past the
next hour; cancellations the same way.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from datetime import date, datetime, timedelta
from itertools import accumulate

from tasks.errors import KonbiniError
from tasks.simulate.model import CHAIN_WEIGHTS, CHAINS, REFERENCE_DIGITS, Order, Site
from tasks.simulate.people import customer

ORDER_COLUMNS = (
    "merchant_id", "site_id", "order_id", "chain", "payment_reference", "amount", "tax_mode", "tax_amount",
    "ordered_at", "due_date", "customer_name_kana", "customer_phone", "customer_email",
)
CANCEL_COLUMNS = ("merchant_id", "order_id", "cancelled_at")
FILE_DELAY = timedelta(minutes=5)  # an hour's batch is written at 5 past the next hour
# Orders per hour of the day (JST): quiet at night, peaks at lunch and in the evening.
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 7, 6, 5, 5, 5, 6, 7, 8, 9, 9, 7, 4)
_HOUR_CUM = list(accumulate(HOUR_WEIGHTS))
# Prices: a long tail, median about 3,000 yen; most from 500 to 10,000, some of 50,000 and more.
AMOUNT_MEDIAN = 3000
AMOUNT_SIGMA = 1.05
MAX_AMOUNT = 300_000
# Ways a deliberately bad order row breaks one rule of orders-and-master.md.
BAD_ROW_KINDS = ("amount_over_limit", "due_too_late", "reference_length", "chain_not_enabled")


EPOCH = date(2000, 1, 1)
PER_DAY_REFERENCES = 100_000


class References:
    """Payment references per chain: unique, never reused, of the chain's length, random-looking.

    A reference is a fixed leading digit (1 seven, 3 famima, 2 the CVS chains, as in the spec's
    samples) and then (a·n + b) mod 10^k: a bijection, since a is coprime with 10. n is the order's
    day (counted from 2000-01-01) times 100,000 plus its number that day, so simulations of other
    windows never reuse a reference. The CVS chains share one series (their barcodes name no chain).
    `unknown()` counts down from the top of the same space, so references of payments that match no
    order never meet an order's.
    """

    _SERIES = {"seven": "1", "famima": "3"}

    def __init__(self, rng: random.Random):
        self._next: dict[tuple[str, date], int] = {}
        self._next_unknown: dict[str, int] = {}
        self._ab: dict[str, tuple[int, int]] = {}
        for series in ("1", "3", "2"):
            a = rng.randrange(10**6, 10**7) * 10 + (1, 3, 7, 9)[rng.randrange(4)]
            self._ab[series] = (a, rng.randrange(10**9))

    def _make(self, chain: str, n: int) -> str:
        series = self._SERIES.get(chain, "2")
        k = REFERENCE_DIGITS[chain] - 1
        a, b = self._ab[series]
        return f"{series}{(a * n + b) % 10**k:0{k}d}"

    def issue(self, chain: str, day: date) -> str:
        series = self._SERIES.get(chain, "2")
        key = (series, day)
        i = self._next.get(key, 0)
        if i >= PER_DAY_REFERENCES:
            raise KonbiniError(
                f"more than {PER_DAY_REFERENCES} payment references of one series on {day}: "
                "fewer --orders-per-day"
            )
        self._next[key] = i + 1
        return self._make(chain, (day - EPOCH).days * PER_DAY_REFERENCES + i)

    def unknown(self, chain: str) -> str:
        series = self._SERIES.get(chain, "2")
        n = self._next_unknown.get(series, 0)
        self._next_unknown[series] = n + 1
        return self._make(chain, 10 ** (REFERENCE_DIGITS[chain] - 1) - 1 - n)


def _amount(rng: random.Random) -> int:
    a = int(rng.lognormvariate(math.log(AMOUNT_MEDIAN), AMOUNT_SIGMA))
    if a >= 1000:
        a = a // 10 * 10  # shop prices end in 0 (3,980 yen)
    return min(max(a, 1), MAX_AMOUNT)


def _tax(rng: random.Random, amount: int) -> tuple[str, int]:
    u = rng.random()
    if u < 0.15:
        return "non_taxable", 0
    rate = 8 if u < 0.25 else 10  # reduced rate (food) for some
    return "taxable", amount * rate // (100 + rate)  # tax included in the price, rounded down


def make_orders(
    rng: random.Random,
    sites: list[Site],
    start: date,
    days: int,
    per_day: int,
    refs: References,
    bad_row_rate: float,
) -> list[Order]:
    """`per_day` orders a day over `days` days, in the order they were placed (bad rows included)."""
    window_start = datetime(start.year, start.month, start.day)
    # Bigger and smaller shops: site weight falls with its rank.
    site_cum = list(accumulate(1 / (i + 1) ** 0.8 for i in range(len(sites))))
    chain_cum = {
        s.site_id: (s.chains, list(accumulate(CHAIN_WEIGHTS[c] for c in s.chains))) for s in sites
    }
    # Merchants number their orders their own way (by day, so other windows never collide).
    odd_style = {s.merchant_id: int(s.merchant_id[1:]) % 2 == 1 for s in sites}
    hours = [timedelta(hours=h) for h in range(25)]
    order_no: dict[str, int] = {}
    orders: list[Order] = []
    n_global = 0
    for d in range(days):
        day = window_start + timedelta(days=d)
        ymd = f"{day:%Y%m%d}"
        dues = {s.site_id: day.date() + timedelta(days=s.due_days) for s in sites}
        order_no.clear()
        # Times of the day's orders, sorted: files hold them in the order they were placed.
        day_seconds = sorted(
            bisect(_HOUR_CUM, rng.random() * _HOUR_CUM[-1]) * 3600 + int(rng.random() * 3600)
            for _ in range(per_day)
        )
        for sec in day_seconds:
            ordered_at = day + timedelta(seconds=sec)
            file_at = day + hours[sec // 3600 + 1] + FILE_DELAY
            site = sites[bisect(site_cum, rng.random() * site_cum[-1])]
            chains, cum = chain_cum[site.site_id]
            chain = chains[bisect(cum, rng.random() * cum[-1])]
            amount = _amount(rng)
            tax_mode, tax_amount = _tax(rng, amount)
            n = order_no.get(site.merchant_id, 0) + 1
            order_no[site.merchant_id] = n
            order_id = f"ORD-{ymd}-{n:06d}" if odd_style[site.merchant_id] else f"{ymd}_{n:06d}"
            name, phone, email = customer(rng, n_global)
            n_global += 1
            order = Order(
                merchant_id=site.merchant_id, site_id=site.site_id, order_id=order_id, chain=chain,
                reference=refs.issue(chain, day.date()), amount=amount,
                tax_mode=tax_mode, tax_amount=tax_amount,
                ordered_at=ordered_at, due_date=dues[site.site_id],
                customer_name_kana=name, customer_phone=phone, customer_email=email, file_at=file_at,
            )
            if bad_row_rate and rng.random() < bad_row_rate:
                _break(rng, order, site, refs)
            orders.append(order)
    return orders


def _break(rng: random.Random, order: Order, site: Site, refs: References) -> None:
    """Make the row invalid in exactly one way (it is then rejected by the order feed)."""
    kind = BAD_ROW_KINDS[rng.randrange(len(BAD_ROW_KINDS))]
    missing = [c for c in CHAINS if c not in site.chains]
    if kind == "chain_not_enabled" and not missing:
        kind = "amount_over_limit"
    if kind == "amount_over_limit":
        order.amount, order.tax_mode, order.tax_amount = MAX_AMOUNT + 1, "non_taxable", 0
    elif kind == "due_too_late":
        order.due_date = order.ordered_at.date() + timedelta(days=61 + rng.randrange(30))
    elif kind == "reference_length":
        order.reference = order.reference[:-1]
    else:
        order.chain = missing[rng.randrange(len(missing))]
        order.reference = refs.issue(order.chain, order.ordered_at.date())
    order.bad = kind


def _iso(dt: datetime) -> str:
    return f"{dt.date().isoformat()}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}+09:00"


def orders_csv(orders: list[Order]) -> bytes:
    """An ORDERS file: UTF-8, header, CRLF (as the spec's sample)."""
    lines = [",".join(ORDER_COLUMNS)]
    for o in orders:
        lines.append(
            f"{o.merchant_id},{o.site_id},{o.order_id},{o.chain},{o.reference},{o.amount},{o.tax_mode},"
            f"{o.tax_amount},{_iso(o.ordered_at)},{o.due_date.isoformat()},{o.customer_name_kana},"
            f"{o.customer_phone},{o.customer_email}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def cancels_csv(orders: list[Order]) -> bytes:
    """An ORDER_CANCELS file: UTF-8, header, CRLF."""
    lines = [",".join(CANCEL_COLUMNS)]
    lines += [f"{o.merchant_id},{o.order_id},{_iso(o.cancelled_at)}" for o in orders if o.cancelled_at]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
