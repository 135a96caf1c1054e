"""`simulate(...)`: a realistic inbox for a window of days, and a summary of what it wrote."""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from tasks.errors import KonbiniError
from tasks.settings import Settings, get_settings
from tasks.simulate.anomalies import ANOMALIES, resolve_rates
from tasks.simulate.bank import bank_files, expected_by_day, remittances, with_strangers
from tasks.simulate.deliver import Renderer, apply_file_anomalies, schedule, transfer_date
from tasks.simulate.master import make_master, write_master
from tasks.simulate.model import Event, FeedFile, Order
from tasks.simulate.orders import FILE_DELAY, References, cancels_csv, make_orders, orders_csv
from tasks.simulate.payments import Till, draw_fates

MAX_ORDERS_PER_DAY = 100_000  # references allow 100,000 per series and day
MAX_MERCHANTS = 480  # distinct merchant names


@dataclass
class SimulationSummary:
    """What a simulation wrote. `events` and `records` count what the files that will be accepted
    carry (broken files excluded; a resent record is a second record of the same event)."""

    out_dir: Path
    start: date
    days: int
    seed: int
    merchants: int
    sites: int
    order_rows: int  # rows in ORDERS files
    bad_order_rows: int  # of which deliberately invalid (rejected by the order feed)
    cancellations: int  # rows in ORDER_CANCELS files
    files: dict[str, int]  # kind -> files written into the inbox (broken and corrected included)
    corrupt_files: dict[str, int]  # kind -> broken files (to be quarantined)
    corrected_files: dict[str, int]  # kind -> corrected files delivered again with the same number
    redeliveries: dict[str, int]  # kind -> identical copies under redeliver/
    skipped_numbers: dict[str, list[int]]  # kind -> sequence numbers never delivered
    events: dict[str, int]  # "SEJ 01" -> distinct events in accepted files
    records: dict[str, int]  # "SEJ 01" -> records in accepted files (resends included)
    fates: dict[str, int]  # order fate -> valid orders delivered with it
    anomalies: dict[str, int]  # anomaly -> orders, rows, records or files it affected
    inbox: Path = field(init=False)
    master: Path = field(init=False)
    redeliver: Path = field(init=False)

    def __post_init__(self) -> None:
        self.inbox = self.out_dir / "inbox"
        self.master = self.out_dir / "master"
        self.redeliver = self.out_dir / "redeliver"

    @property
    def valid_orders(self) -> int:
        return self.order_rows - self.bad_order_rows

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: (str(v) if isinstance(v, Path | date) else v) for k, v in d.items()}


def check_arguments(start: date, days: int, orders_per_day: int, merchants: int) -> None:
    """The simulation's size and start, checked before any work (KonbiniError naming the option)."""
    if days < 1:
        raise KonbiniError(f"--days must be at least 1, not {days}")
    if not 0 <= orders_per_day <= MAX_ORDERS_PER_DAY:
        raise KonbiniError(f"--orders-per-day must be from 0 to {MAX_ORDERS_PER_DAY}, not {orders_per_day}")
    if not 1 <= merchants <= MAX_MERCHANTS:
        raise KonbiniError(f"--merchants must be from 1 to {MAX_MERCHANTS}, not {merchants}")
    if start < date(2000, 1, 2):
        raise KonbiniError(f"--start must be after 2000-01-01, not {start}")


def simulate(
    out_dir: Path,
    start: date,
    days: int,
    orders_per_day: int,
    seed: int,
    merchants: int = 3,
    anomalies: dict[str, float] | None = None,
    settings: Settings | None = None,
) -> SimulationSummary:
    """Write master CSVs to <out>/master/, the inbox to <out>/inbox/{orders,sej,famima,cvs}/ and
    identical second deliveries to <out>/redeliver/; the same arguments always give the same bytes.

    Refuses (KonbiniError) to overwrite a file that is already there.
    """
    check_arguments(start, days, orders_per_day, merchants)
    settings = settings or get_settings()
    rates = resolve_rates(anomalies)
    rng = random.Random(seed)

    merchant_list, sites = make_master(rng, merchants, start)
    refs = References(rng)
    orders = make_orders(rng, sites, start, days, orders_per_day, refs, rates["bad_order_row"])
    draw_fates(rng, orders, rates)
    till = Till(rng, refs)
    events: list[Event] = []
    for o in orders:
        for p in till.payments(o):
            events.extend(till.events(p))
    roles = schedule(rng, events, start)
    feed_files, skipped, redeliver = apply_file_anomalies(rng, roles, rates)
    order_files = _order_files(orders)

    # Render everything before writing anything: a bad argument fails with nothing half-written.
    renderer = Renderer(settings)
    inbox_files: list[FeedFile] = list(order_files)
    for kind in sorted(feed_files):
        for f in feed_files[kind]:
            f.content = renderer.content(f)
            inbox_files.append(f)
    bank, bank_counts = _bank(seed, events, rates, settings)
    inbox_files += bank
    targets = [(out_dir / "inbox" / f.folder / f.name, f.content) for f in inbox_files]
    targets += [(out_dir / "redeliver" / f.folder / f.name, f.content) for f in redeliver]
    _write(out_dir, targets, merchant_list, sites)

    summary = _summary(out_dir, start, days, seed, merchant_list, sites, orders, order_files,
                       feed_files, skipped, redeliver)
    if bank:
        summary.files = dict(sorted({**summary.files, "BANK_IN": len(bank)}.items()))
    summary.anomalies.update(bank_counts)
    return summary


def _bank(seed: int, events: list[Event], rates: dict[str, float], settings: Settings):
    """The chains' remittances of the 02 records and the bank's BANK_IN files (tasks/simulate/bank.py),
    drawn from a generator of their own: the chains' files do not depend on the bank's rates."""
    rng = random.Random(f"bank-{seed}")
    confirmed = [(ev.payment.chain, transfer_date(ev.ready_at.date()), ev.payment.amount)
                 for ev in events if ev.kind == "02"]
    transfers, counts = remittances(expected_by_day(confirmed), rng, rates)
    transfers, counts["unknown_remitter"] = with_strangers(transfers, rng, rates["unknown_remitter"])
    return bank_files(transfers, settings), counts


def _write(out_dir: Path, targets: list[tuple[Path, bytes]], merchant_list, sites) -> None:
    """Write the master CSVs and every file, refusing (KonbiniError) to overwrite any."""
    for path, _ in targets:
        if path.exists():
            raise KonbiniError(f"{path} already exists: simulate into an empty --out folder")
    for master_file in ("merchants.csv", "sites.csv", "fee_plans.csv"):
        if (out_dir / "master" / master_file).exists():
            raise KonbiniError(f"{out_dir / 'master' / master_file} already exists: use an empty --out")
    write_master(out_dir / "master", merchant_list, sites)
    for folder in ("orders", "sej", "famima", "cvs"):
        (out_dir / "inbox" / folder).mkdir(parents=True, exist_ok=True)
    # Each file appears whole (written aside, then renamed): a pull running meanwhile never reads half.
    staging = out_dir / ".simulate-staging"
    staging.mkdir(parents=True, exist_ok=True)
    for path, content in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = staging / path.name
        tmp.write_bytes(content)
        os.replace(tmp, path)
    staging.rmdir()


def _order_files(orders: list[Order]) -> list[FeedFile]:
    """ORDERS files (one per hour with orders) and ORDER_CANCELS files (one per hour with cancels)."""
    files: list[FeedFile] = []
    by_time: dict[datetime, list[Order]] = {}
    for o in orders:
        by_time.setdefault(o.file_at, []).append(o)
    for seq, at in enumerate(sorted(by_time), start=1):
        files.append(FeedFile("orders", "ORDERS", at, seq, content=orders_csv(by_time[at])))
    cancels: dict[datetime, list[Order]] = {}
    for o in orders:
        if o.cancelled_at is not None:
            at = o.cancelled_at.replace(minute=0, second=0) + timedelta(hours=1) + FILE_DELAY
            cancels.setdefault(at, []).append(o)
    for seq, at in enumerate(sorted(cancels), start=1):
        rows = sorted(cancels[at], key=lambda o: (o.cancelled_at, o.merchant_id, o.order_id))
        files.append(FeedFile("orders", "ORDER_CANCELS", at, seq, content=cancels_csv(rows)))
    return files


def _summary(out_dir, start, days, seed, merchant_list, sites, orders, order_files, feed_files, skipped,
             redeliver) -> SimulationSummary:
    files = Counter(f.kind for f in order_files)
    corrupt: Counter[str] = Counter()
    corrected: Counter[str] = Counter()
    identities: dict[str, set[int]] = {}  # one Event object per event identity (a resend reuses it)
    records: Counter[str] = Counter()
    resent = 0
    for kind in sorted(feed_files):
        broken_numbers = []
        for f in feed_files[kind]:
            files[kind] += 1
            if f.corrupt:
                corrupt[kind] += 1
                broken_numbers.append(f.sequence_no)
                continue
            if f.sequence_no in broken_numbers:
                corrected[kind] += 1
            resent += len(f.resent)
            for ev in f.events + f.resent:
                p = ev.payment
                key = f"{p.feed} {ev.kind}"
                records[key] += 1
                identities.setdefault(key, set()).add(id(ev))
    valid = [o for o in orders if not o.bad]
    fates = Counter(o.fate for o in valid)
    anomaly_counts = {a.name: fates.get(a.name, 0) for a in ANOMALIES if a.per == "order"}
    anomaly_counts["bad_order_row"] = len(orders) - len(valid)
    anomaly_counts["resent_record"] = resent
    anomaly_counts["duplicate_file"] = len(redeliver)
    anomaly_counts["sequence_gap"] = sum(len(v) for v in skipped.values())
    anomaly_counts["corrupt_file"] = sum(corrupt.values())
    anomaly_counts.update({a.name: 0 for a in ANOMALIES if a.name not in anomaly_counts})  # bank: later
    return SimulationSummary(
        out_dir=out_dir, start=start, days=days, seed=seed,
        merchants=len(merchant_list), sites=len(sites),
        order_rows=len(orders), bad_order_rows=len(orders) - len(valid),
        cancellations=sum(1 for o in valid if o.cancelled_at is not None),
        files=dict(sorted(files.items())),
        corrupt_files=dict(sorted(corrupt.items())),
        corrected_files=dict(sorted(corrected.items())),
        redeliveries=dict(sorted(Counter(f.kind for f in redeliver).items())),
        skipped_numbers={k: skipped[k] for k in sorted(skipped)},
        events={k: len(identities[k]) for k in sorted(identities)},
        records=dict(sorted(records.items())),
        fates=dict(sorted(fates.items())),
        anomalies={a.name: anomaly_counts[a.name] for a in ANOMALIES},
    )

