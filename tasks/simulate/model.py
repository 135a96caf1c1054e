"""The simulated world as plain data: merchants, orders, payments and the records the chains send.

Everything here is produced from one `random.Random(seed)`; nothing reads the wall clock, and
nothing iterates a set or an unordered mapping, so the same seed always gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# Chain mix of real konbini payments: セブン-イレブン most, then ファミリーマート and ローソン.
CHAIN_WEIGHTS: dict[str, float] = {
    "seven": 0.42, "famima": 0.22, "lawson": 0.20, "ministop": 0.06, "daily": 0.05, "seicomart": 0.05,
}
CHAINS = tuple(CHAIN_WEIGHTS)
FEED_OF_CHAIN = {
    "seven": "SEJ", "famima": "FM", "lawson": "CVS", "ministop": "CVS", "daily": "CVS", "seicomart": "CVS",
}
REFERENCE_DIGITS = {"seven": 13, "famima": 12, "lawson": 11, "ministop": 11, "daily": 11, "seicomart": 11}
# Store codes as the chains write them: SEJ 7 digits, FM 6 digits, CVS chains 1 to 7 digits unpadded.
STORE_CODE_DIGITS = {"seven": 7, "famima": 6, "lawson": 6, "ministop": 4, "daily": 5, "seicomart": 4}
# Till clocks: SEJ and CVS records carry HHMM, FM records HHMMSS.
SECONDS_IN_PAID_TIME = {"SEJ": False, "FM": True, "CVS": False}


@dataclass(frozen=True, slots=True)
class Merchant:
    merchant_id: str
    name: str
    name_kana: str
    contract_start: date
    settlement_cycle: int
    fee_plan: str
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    notify_url: str
    notify_secret: str
    email: str
    status: str = "active"


@dataclass(frozen=True, slots=True)
class Site:
    site_id: str
    merchant_id: str
    url: str
    chains: tuple[str, ...]
    due_days: int  # the site's payment term: due date = order date + due_days
    status: str = "active"


@dataclass(slots=True)
class Order:
    merchant_id: str
    site_id: str
    order_id: str
    chain: str
    reference: str
    amount: int
    tax_mode: str
    tax_amount: int
    ordered_at: datetime  # naive JST
    due_date: date
    customer_name_kana: str
    customer_phone: str
    customer_email: str
    file_at: datetime  # creation time of the ORDERS file that delivers it
    bad: str | None = None  # why the row is deliberately invalid (bad_order_row), else None
    fate: str = "unpaid"  # what happens to it (see anomalies.FATES)
    cancelled_at: datetime | None = None  # merchant cancellation (注文取消)


@dataclass(slots=True)
class Payment:
    """One payment at a till and which of its records (01 / 02 / 03) the chain sends."""

    chain: str
    reference: str
    paid_at: datetime  # naive JST, to the minute (SEJ, CVS) or second (FM)
    store_code: str
    amount: int
    stamp: bool  # the flag the store sets on its records
    prelim: bool = True  # 01 sent
    confirm: bool = True  # 02 sent
    cancel_at: datetime | None = None  # 03 sent with this cancel time
    due_date: date | None = None  # for the CVS barcode: the order's due date
    barcode_amount: int | None = None  # for the CVS barcode: the order's amount
    barcode_stamp: bool = False  # for the CVS barcode: our stamp rule on the order

    @property
    def feed(self) -> str:
        return FEED_OF_CHAIN[self.chain]


@dataclass(frozen=True, slots=True)
class Event:
    """One record to deliver: a payment's 01, 02 or 03, available to the chain from `ready_at`."""

    payment: Payment
    kind: str  # 01, 02, 03
    ready_at: datetime  # 01/03: when the 速報 batch can carry it; 02: 00:00 of its 確報 day


@dataclass
class FeedFile:
    """One file of a feed kind, as delivered (or to be delivered) into the inbox."""

    folder: str  # sej, famima, cvs, orders, bank
    kind: str  # SEJ_01, SEJ_02, FM_S, FM_K, CVS, ORDERS, ORDER_CANCELS, BANK_IN
    created_at: datetime
    sequence_no: int
    events: list[Event] = field(default_factory=list)
    resent: list[Event] = field(default_factory=list)  # records sent again from an earlier file
    corrupt: bool = False  # delivered broken; a corrected copy follows (see deliver.py)
    content: bytes = b""

    @property
    def name(self) -> str:
        ts = self.created_at.strftime("%Y%m%d%H%M%S")
        suffix = ".dat" if self.folder in ("sej", "famima", "bank") else ".csv"  # fixed-width files
        return f"{self.kind}_{ts}_{self.sequence_no:06d}{suffix}"
