"""What happens to each order at the till: its fate, the payments it gets, the records they produce.

Every valid order draws one fate: an anomaly of anomalies.ANOMALIES (at its rate), a merchant
cancellation, a voided till payment (速報取消), unpaid, or — most — paid once on time. A fate is
turned into payments (`Payment`), and each payment into the records its chain sends (`Event`):
01 minutes to 90 minutes after payment, 03 after the void, 02 for the 確報 file 3 to 10 days later.
"""

from __future__ import annotations

import random
from bisect import bisect
from datetime import date, datetime, timedelta
from itertools import accumulate

from tasks.reconcile.stamp import stamp_expected
from tasks.simulate.anomalies import (
    ANOMALY_FATES,
    MERCHANT_CANCEL_RATE,
    PRELIM_CANCEL_RATE,
    UNPAID_RATE,
)
from tasks.simulate.model import (
    FEED_OF_CHAIN,
    SECONDS_IN_PAID_TIME,
    STORE_CODE_DIGITS,
    Event,
    Order,
    Payment,
)
from tasks.simulate.orders import FILE_DELAY, HOUR_WEIGHTS, MAX_AMOUNT, References

STORES_PER_CHAIN = 3000
PAY_HOUR_TRIES = 4
_MAX_HOUR_WEIGHT = max(HOUR_WEIGHTS)
MIN_PAY_DELAY = timedelta(minutes=10)  # after the order reached us
PRELIM_LAG_S = (60, 90 * 60)  # 01 ready for a 速報 batch 1 to 90 minutes after payment
VOID_AFTER_S = (60, 15 * 60)  # a till payment is voided 1 to 15 minutes after it was made
# Days from paid date to the 確報 file: 3 to 10, mostly 3 to 5.
CONFIRM_DAYS = (3, 4, 5, 6, 7, 8, 9, 10)
_CONFIRM_CUM = list(accumulate((30, 25, 20, 10, 6, 4, 3, 2)))


def _uniform_int(rng: random.Random, bounds: tuple[int, int]) -> int:
    """An int from lo to hi inclusive (randint's range, at a third of its cost)."""
    lo, hi = bounds
    return lo + int(rng.random() * (hi - lo + 1))


def draw_fates(rng: random.Random, orders: list[Order], rates: dict[str, float]) -> None:
    """Give every valid order its fate (one draw each); invalid rows stay `unpaid` (never paid)."""
    table = [(name, rates[name]) for name in ANOMALY_FATES]
    table += [("merchant_cancel", MERCHANT_CANCEL_RATE), ("prelim_cancel", PRELIM_CANCEL_RATE),
              ("unpaid", UNPAID_RATE)]
    cum = list(accumulate(rate for _, rate in table))
    names = [name for name, _ in table]
    for o in orders:
        if o.bad:
            continue
        i = bisect(cum, rng.random())
        o.fate = names[i] if i < len(names) else "paid"


class Till:
    """Makes payments and their events for orders, given their fates."""

    def __init__(self, rng: random.Random, refs: References):
        self.rng = rng
        self.refs = refs
        self.stores = {
            chain: [str(s) for s in rng.sample(range(10 ** (d - 1), 10**d), STORES_PER_CHAIN)]
            for chain, d in STORE_CODE_DIGITS.items()
        }

    # -- time helpers -------------------------------------------------------------------------
    def _till_clock(self, chain: str, dt: datetime) -> datetime:
        """SEJ and CVS tills record minutes; FM seconds."""
        return dt if SECONDS_IN_PAID_TIME[FEED_OF_CHAIN[chain]] else dt.replace(second=0)

    def _between(self, earliest: datetime, latest: datetime) -> datetime | None:
        """A payment time: half soon after `earliest` (about 3 hours), half anywhere up to `latest`;
        people pay by day and in the evening more than at night (HOUR_WEIGHTS, a few tries)."""
        span = (latest - earliest).total_seconds()
        if span <= 0:
            return None
        r = self.rng.random
        for _ in range(PAY_HOUR_TRIES):
            s = min(self.rng.expovariate(1 / (3 * 3600)), span) if r() < 0.5 else r() * span
            at = earliest + timedelta(seconds=int(s))
            if r() * _MAX_HOUR_WEIGHT < HOUR_WEIGHTS[at.hour]:
                break
        return at

    @staticmethod
    def _due_end(o: Order) -> datetime:
        return datetime(o.due_date.year, o.due_date.month, o.due_date.day, 23, 59, 0)

    def _store(self, chain: str, other_than: str | None = None) -> str:
        pool = self.stores[chain]
        s = pool[int(self.rng.random() * len(pool))]
        while s == other_than:
            s = pool[int(self.rng.random() * len(pool))]
        return s

    # -- payments -----------------------------------------------------------------------------
    def _pay(self, o: Order, at: datetime | None, *, amount: int | None = None, reference: str | None = None,
             store_other_than: str | None = None) -> Payment | None:
        if at is None:
            return None
        amount = o.amount if amount is None else amount
        expected = stamp_expected(o.chain, o.tax_mode, amount, o.tax_amount)
        return Payment(
            chain=o.chain,
            reference=reference or o.reference,
            paid_at=self._till_clock(o.chain, at),
            store_code=self._store(o.chain, store_other_than),
            amount=amount,
            stamp=expected,
            due_date=o.due_date,
            barcode_amount=o.amount,
            barcode_stamp=stamp_expected(o.chain, o.tax_mode, o.amount, o.tax_amount),
        )

    def _void(self, p: Payment) -> None:
        p.cancel_at = (p.paid_at + timedelta(seconds=self.rng.randint(*VOID_AFTER_S))).replace(second=0)

    def _cancellation(self, o: Order) -> bool:
        """Set the merchant's cancellation (注文取消), some time before the due date (False: no room)."""
        earliest = o.file_at + timedelta(minutes=30)
        at = self._between(earliest, min(self._due_end(o), earliest + timedelta(days=3)))
        if at is None:
            return False
        o.cancelled_at = at
        return True

    def payments(self, o: Order) -> list[Payment]:
        """The till payments of one order according to its fate (may change the fate when the
        order leaves no room for it, e.g. ordered too close to its due date to pay on time)."""
        fate = o.fate
        earliest = o.file_at + MIN_PAY_DELAY
        due_end = self._due_end(o)
        latest = min(due_end, earliest + timedelta(days=14))
        if fate in ("unpaid", "merchant_cancel", "paid_after_cancel") or o.bad:
            return self._around_cancellation(o, due_end)
        if fate == "late_payment":
            day = o.due_date + timedelta(days=self.rng.randint(1, 5))
            at = datetime(day.year, day.month, day.day)
            at += timedelta(seconds=self.rng.randrange(6 * 3600, 86400))
            return [self._pay(o, at)]
        first = self._pay(o, self._between(earliest, latest))
        if first is None:  # ordered too close to its due date to pay on time
            o.fate = "unpaid"
            return []
        return self._with_anomaly(o, first, due_end)

    def _around_cancellation(self, o: Order, due_end: datetime) -> list[Payment]:
        """Fates without a payment in time: unpaid, cancelled by the merchant, paid after that."""
        fate = o.fate
        if fate == "unpaid" or o.bad:
            return []
        if not self._cancellation(o):
            o.fate = "unpaid"
            return []
        if fate == "merchant_cancel":
            return []
        cancel_file_at = o.cancelled_at.replace(minute=0, second=0) + timedelta(hours=1) + FILE_DELAY
        p = self._pay(o, self._between(cancel_file_at + MIN_PAY_DELAY, due_end))
        if p is None:
            o.fate = "merchant_cancel"
            return []
        return [p]

    def _with_anomaly(self, o: Order, first: Payment, due_end: datetime) -> list[Payment]:
        """The order's first payment, changed or followed by others as its fate says."""
        fate = o.fate
        if fate == "paid":
            return [first]
        if fate == "stamp_mismatch":
            first.stamp = not first.stamp
            return [first]
        if fate == "duplicate_payment":
            second = self._pay(o, self._between(first.paid_at + MIN_PAY_DELAY, due_end),
                               store_other_than=first.store_code)
            if second is None:
                o.fate = "paid"
                return [first]
            return [first, second]
        if fate == "amount_mismatch":
            return [self._amount_differs(o, first)]
        if fate == "unknown_reference":
            first.reference = self.refs.unknown(o.chain)
            return [first]
        if fate == "confirm_without_prelim":
            first.prelim = False
            return [first]
        if fate == "prelim_not_confirmed":
            first.confirm = False
            return [first]
        if fate == "confirm_after_cancel":
            self._void(first)
            return [first]
        if fate in ("prelim_cancel", "cancel_without_prelim"):
            self._void(first)
            first.confirm = False
            first.prelim = fate == "prelim_cancel"
            out = [first]
            # The customer comes back with the money: always after a lost 01, half the time otherwise.
            if fate == "cancel_without_prelim" or self.rng.random() < 0.5:
                again = self._pay(o, self._between(first.cancel_at + MIN_PAY_DELAY, due_end))
                if again is not None:
                    out.append(again)
            return out
        raise ValueError(f"unknown fate {fate!r}")

    def _amount_differs(self, o: Order, first: Payment) -> Payment:
        if o.chain not in ("seven", "famima"):  # a CVS barcode carries the amount: cannot differ
            o.fate = "paid"
            return first
        delta = 100
        if (o.amount + delta > MAX_AMOUNT
                or stamp_expected(o.chain, o.tax_mode, o.amount + delta, o.tax_amount) != first.stamp):
            delta = -100  # stay within the order limit, on the same side of the stamp threshold
        first.amount = o.amount + delta
        return first

    # -- records ------------------------------------------------------------------------------
    def events(self, p: Payment) -> list[Event]:
        """The records the chain sends for payment `p`, with when each is ready for delivery."""
        out = []
        ready01 = None
        if p.prelim:
            ready01 = p.paid_at + timedelta(seconds=_uniform_int(self.rng, PRELIM_LAG_S))
            out.append(Event(p, "01", ready01))
        if p.cancel_at is not None:
            ready03 = p.cancel_at + timedelta(seconds=_uniform_int(self.rng, PRELIM_LAG_S))
            out.append(Event(p, "03", max(ready03, ready01) if ready01 else ready03))
        if p.confirm:
            days = CONFIRM_DAYS[bisect(_CONFIRM_CUM, self.rng.random() * _CONFIRM_CUM[-1])]
            day: date = p.paid_at.date() + timedelta(days=days)
            out.append(Event(p, "02", datetime(day.year, day.month, day.day)))
        return out
