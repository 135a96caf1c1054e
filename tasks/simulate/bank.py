"""The bank's side of the simulation: the chains pay what they confirmed on each transfer date, and our
bank delivers one 振込入金通知 file (BANK_IN) per business day with the transfers booked that day.

Each source transfers, on each transfer date, the sum of its 02 records with that date (treasury.md);
CVS pays one transfer per chain of the day, all under the CVS remitter name ("one or more transfers").
Remittance anomalies (anomalies.py), drawn per source and transfer date with a random generator of
their own (the chains' files stay byte-identical whatever the bank's rates):

- `short_remittance`: the chain pays 1 to 1,000 yen less, and never the rest: REMITTANCE_SHORT open;
- `late_remittance`: the whole remittance is booked 1 to 3 business days late: SHORT raised, cleared;
- `over_remittance`: the chain pays 1 to 1,000 yen more: REMITTANCE_OVER open;
- `unknown_remitter` (per bank file): a transfer from a name no rule knows: UNKNOWN_REMITTER.

    remittances(expected, rng, rates) -> (transfers, counts)
    bank_files(transfers, settings) -> list[FeedFile]          # content rendered
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tasks.bank_calendar import add_business_days, is_business_day
from tasks.feeds import bank
from tasks.settings import Settings
from tasks.simulate.model import FEED_OF_CHAIN, FeedFile

FILE_AT = time(18, 0)  # the bank's file of a business day, created in the evening (like the samples)
MAX_DIFFERENCE = 1000  # yen a short or over remittance is off by, at most
LATE_DAYS = (1, 3)
STRANGERS = ("ﾃｽﾄｼﾖｳｼﾞ(ｶ", "ﾔﾏﾀﾞ ﾀﾛｳ", "(ｶ)ｻﾝﾌﾟﾙｼﾖｳｶｲ", "ｽｽﾞｷ ﾊﾅｺ")
SENDING = {"SEJ": ("ﾐﾂｲｽﾐﾄﾓ", "ﾄｳｷﾖｳ"), "FM": ("ﾐｽﾞﾎ", "ﾎﾝﾃﾝ"), "CVS": ("ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "ﾎﾝﾃﾝ"),
           None: ("ﾘｿﾅ", "ｵｵｻｶ")}


@dataclass(frozen=True)
class Transfer:
    booking_date: date  # 勘定日
    source: str | None  # SEJ, FM, CVS; None for an unknown remitter
    amount: int
    remitter_name: str = ""


def expected_by_day(confirmed: list[tuple[str, date, int]]) -> dict[tuple[str, date], Counter]:
    """(source, transfer date) -> {chain: amount} from (chain, transfer date, amount) of each 02 record."""
    out: dict[tuple[str, date], Counter] = {}
    for chain, day, amount in confirmed:
        out.setdefault((FEED_OF_CHAIN[chain], day), Counter())[chain] += amount
    return out


def remittances(expected: dict[tuple[str, date], Counter], rng: random.Random,
                rates: dict[str, float]) -> tuple[list[Transfer], dict[str, int]]:
    """The transfers the chains make for `expected`, with the anomalies drawn at `rates`."""
    transfers: list[Transfer] = []
    counts = Counter({"short_remittance": 0, "late_remittance": 0, "over_remittance": 0})
    for (source, day), by_chain in sorted(expected.items()):
        amounts = [by_chain[c] for c in sorted(by_chain) if by_chain[c] > 0]
        if not amounts:
            continue
        r = rng.random()
        short, late, over = rates["short_remittance"], rates["late_remittance"], rates["over_remittance"]
        if r < short and amounts[-1] > 1:
            amounts[-1] -= rng.randint(1, min(MAX_DIFFERENCE, amounts[-1] - 1))
            counts["short_remittance"] += 1
        elif r < short + late:
            day = add_business_days(day, rng.randint(*LATE_DAYS))
            counts["late_remittance"] += 1
        elif r < short + late + over:
            amounts[-1] += rng.randint(1, MAX_DIFFERENCE)
            counts["over_remittance"] += 1
        transfers += [Transfer(day, source, a) for a in amounts]
    return transfers, dict(counts)


def with_strangers(transfers: list[Transfer], rng: random.Random, rate: float) -> tuple[list[Transfer], int]:
    """Each business day of the transfers' span gets, at `rate`, a transfer from an unknown remitter."""
    if not transfers:
        return transfers, 0
    days = sorted({t.booking_date for t in transfers})
    out, n = list(transfers), 0
    d = days[0]
    while d <= days[-1]:
        if is_business_day(d) and rng.random() < rate:
            out.append(Transfer(d, None, rng.randint(1, 50) * 1000, STRANGERS[rng.randrange(len(STRANGERS))]))
            n += 1
        d += timedelta(days=1)
    return out, n


def bank_files(transfers: list[Transfer], settings: Settings) -> list[FeedFile]:
    """One BANK_IN file per business day from the first booking date to the last, sequence from 1."""
    if not transfers:
        return []
    names = settings.remitters.by_source()
    by_day: dict[date, list[Transfer]] = {}
    for t in transfers:
        by_day.setdefault(t.booking_date, []).append(t)
    first, last = min(by_day), max(by_day)
    files, d, seq = [], first, 0
    while d <= last:
        if is_business_day(d):
            seq += 1
            records = [{
                "inquiry_no": i, "booking_date": d, "amount": t.amount,
                "remitter_name": t.remitter_name or names[t.source],
                "sending_bank": SENDING[t.source][0], "sending_branch": SENDING[t.source][1],
            } for i, t in enumerate(by_day.get(d, []), start=1)]
            created = datetime.combine(d, FILE_AT)
            f = FeedFile("bank", bank.KIND, created, seq)
            f.content = bank.build_file(created, d, d, records, settings.payout_account)
            files.append(f)
        d += timedelta(days=1)
    return files
