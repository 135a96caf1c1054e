"""Deliver the chains' records as files: cadence, sequence numbers, resends, gaps and broken files.

Cadence (feeds.md): each feed's 速報 batches leave every 10 to 30 minutes and carry the 01 and 03
records ready since the previous batch; a batch with nothing to carry is not sent. 確報 files leave
once a day around 06:00 (SEJ 06:00, FM 06:10, CVS 06:20, plus up to 5 minutes) with the 02 records
of that day. CVS has one sequence for both; SEJ 01 / 02 and FM S / K have one each.

File anomalies:
- `resent_record`: a record is sent again, byte for byte, in the next file of the same role.
- `sequence_gap`: a sequence number is skipped (never delivered) before a file.
- `corrupt_file`: the file arrives cut short at two thirds of its bytes (an interrupted transfer:
  the trailer is gone, FM's size is no multiple of 128), so it is quarantined whole; the chain
  sends the corrected file with the same sequence number 20 to 50 minutes later (a new creation
  time, so a new name).
- `duplicate_file`: an identical copy (same name, same bytes) is written under `redeliver/`, to
  drop into the inbox after the first pull: one folder cannot hold two files of one name.
All rendering goes through the feed modules' writers (tasks.feeds.*.build_file, gs1.build_barcode).
"""

from __future__ import annotations

import random
from bisect import bisect_left
from datetime import date, datetime, timedelta
from functools import lru_cache

from tasks.bank_calendar import add_business_days
from tasks.feeds import cvs, famima, gs1, sej
from tasks.settings import Settings
from tasks.simulate.model import Event, FeedFile, Payment

FEEDS = ("SEJ", "FM", "CVS")
FOLDER = {"SEJ": "sej", "FM": "famima", "CVS": "cvs"}
PRELIM_KIND = {"SEJ": "SEJ_01", "FM": "FM_S", "CVS": "CVS"}
CONFIRM_KIND = {"SEJ": "SEJ_02", "FM": "FM_K", "CVS": "CVS"}
CONFIRM_AT = {
    "SEJ": timedelta(hours=6), "FM": timedelta(hours=6, minutes=10), "CVS": timedelta(hours=6, minutes=20),
}
PRELIM_EVERY_S = (10 * 60, 30 * 60)
CONFIRM_JITTER_S = 300
CORRECTED_AFTER_S = (20 * 60, 50 * 60)
TRANSFER_BUSINESS_DAYS = 4  # 振込予定日: the 4th bank business day after the 確報 file's day
AMOUNT_WIDTH = {"SEJ": sej.DATA.field("amount").length, "FM": famima.DATA.field("amount").length}


@lru_cache(maxsize=4096)
def _ymd(d: date) -> str:
    return d.strftime("%Y%m%d")


@lru_cache(maxsize=4096)
def transfer_date(confirm_day: date) -> date:
    return add_business_days(confirm_day, TRANSFER_BUSINESS_DAYS)


def schedule(
    rng: random.Random, events: list[Event], start: date
) -> dict[str, tuple[list[FeedFile], list[FeedFile]]]:
    """Put each event into its file: per feed, its non-empty 速報 and 確報 files in creation order.

    Files go on after the window of orders until every record is delivered.
    """
    window_start = datetime(start.year, start.month, start.day)
    last_ready = max((ev.ready_at for ev in events), default=window_start)
    horizon = datetime(last_ready.year, last_ready.month, last_ready.day) + timedelta(days=1)
    file_days = (horizon - window_start).days
    by_feed: dict[str, tuple[list[Event], list[Event]]] = {f: ([], []) for f in FEEDS}
    for ev in events:
        by_feed[ev.payment.feed][1 if ev.kind == "02" else 0].append(ev)
    out: dict[str, tuple[list[FeedFile], list[FeedFile]]] = {}
    for feed in FEEDS:
        prelim, confirm = by_feed[feed]
        # 速報 batches
        slots: list[datetime] = []
        t = window_start + timedelta(seconds=rng.randint(*PRELIM_EVERY_S) // 60 * 60)
        while t < horizon + timedelta(hours=1):
            slots.append(t)
            t += timedelta(seconds=rng.randint(*PRELIM_EVERY_S) // 60 * 60)
        prelim_files = [FeedFile(FOLDER[feed], PRELIM_KIND[feed], s, 0) for s in slots]
        prelim.sort(key=_event_order)
        for ev in prelim:
            i = bisect_left(slots, ev.ready_at)
            if i < len(slots):
                prelim_files[i].events.append(ev)
        # 確報 files, one a day
        confirm_files = [
            FeedFile(FOLDER[feed], CONFIRM_KIND[feed],
                     window_start + timedelta(days=d) + CONFIRM_AT[feed]
                     + timedelta(seconds=rng.randrange(CONFIRM_JITTER_S)), 0)
            for d in range(file_days)
        ]
        confirm.sort(key=_event_order)
        for ev in confirm:
            d = (ev.ready_at - window_start).days
            if 0 <= d < file_days:
                confirm_files[d].events.append(ev)
        out[feed] = ([f for f in prelim_files if f.events], [f for f in confirm_files if f.events])
    return out


def _event_order(ev: Event) -> datetime:
    return ev.ready_at  # a stable sort: events ready at the same time keep their (seeded) order


def apply_file_anomalies(
    rng: random.Random,
    roles: dict[str, tuple[list[FeedFile], list[FeedFile]]],
    rates: dict[str, float],
) -> tuple[dict[str, list[FeedFile]], dict[str, list[int]], list[FeedFile]]:
    """Resends, sequence numbers (with gaps), broken files and their corrections, duplicate copies.

    Returns the files per sequence kind in creation order (broken and corrected ones included),
    the skipped numbers per kind, and the files to deliver a second time (redeliver/).
    """
    files_by_kind: dict[str, list[FeedFile]] = {}
    skipped: dict[str, list[int]] = {}
    redeliver: list[FeedFile] = []
    for feed in FEEDS:
        for role in roles[feed]:
            if rates["resent_record"]:
                for i, f in enumerate(role[:-1]):
                    nxt = role[i + 1]
                    for ev in f.events:
                        if rng.random() < rates["resent_record"]:
                            nxt.resent.append(ev)
            for f in role:
                files_by_kind.setdefault(f.kind, []).append(f)
    for kind in sorted(files_by_kind):
        files = sorted(files_by_kind[kind], key=lambda f: (f.created_at, f.events[0].kind))
        seq = 0
        delivered: list[FeedFile] = []
        for f in files:
            seq += 1
            if rates["sequence_gap"] and rng.random() < rates["sequence_gap"]:
                skipped.setdefault(kind, []).append(seq)
                seq += 1
            f.sequence_no = seq
            delivered.append(f)
            if rates["corrupt_file"] and rng.random() < rates["corrupt_file"]:
                f.corrupt = True
                fixed_at = f.created_at + timedelta(seconds=rng.randint(*CORRECTED_AFTER_S))
                delivered.append(FeedFile(f.folder, f.kind, fixed_at, seq, f.events, f.resent))
            elif rates["duplicate_file"] and rng.random() < rates["duplicate_file"]:
                redeliver.append(f)
        files_by_kind[kind] = sorted(delivered, key=lambda f: (f.created_at, f.sequence_no))
    return files_by_kind, skipped, redeliver


class Renderer:
    """Record dicts for the feed writers; each event's dict is made once, so a resend is identical."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._records: dict[int, dict] = {}
        self._barcodes: dict[int, str] = {}

    def record(self, ev: Event, file_day: date) -> dict:
        key = id(ev)
        rec = self._records.get(key)
        if rec is None:
            rec = self._records[key] = self._make(ev, file_day)
        return rec

    def _make(self, ev: Event, file_day: date) -> dict:
        # Values in wire form ("YYYYMMDD", "HHMM"): the writers take them as they are, which keeps a
        # million records in seconds (no strftime per field).
        p = ev.payment
        rec: dict = {
            "kind": ev.kind, "paid_date": _ymd(p.paid_at.date()), "store_code": p.store_code,
            "amount": p.amount, "stamp_flag": p.stamp,
        }
        confirm_day = ev.ready_at.date()
        t = p.paid_at
        if p.feed in AMOUNT_WIDTH:  # fixed width: amount and flag as their digits
            rec["amount"] = f"{p.amount:0{AMOUNT_WIDTH[p.feed]}d}"
            rec["stamp_flag"] = "1" if p.stamp else "0"
        if p.feed == "SEJ":
            rec["reference"] = p.reference
            rec["paid_time"] = f"{t.hour:02d}{t.minute:02d}"
            if ev.kind == "02":
                rec["transfer_date"] = _ymd(transfer_date(confirm_day))
            if ev.kind == "03":
                c = p.cancel_at
                rec["cancelled_at"] = f"{_ymd(c.date())}{c.hour:02d}{c.minute:02d}"
        elif p.feed == "FM":
            rec["reference"] = p.reference
            rec["paid_time"] = f"{t.hour:02d}{t.minute:02d}{t.second:02d}"
            if ev.kind == "02":
                rec["confirmed_date"] = _ymd(confirm_day)
                rec["transfer_date"] = _ymd(transfer_date(confirm_day))
        else:
            rec["chain"] = p.chain
            rec["paid_time"] = f"{t.hour:02d}{t.minute:02d}"
            rec["barcode"] = self._barcode(p)
            rec["data_date"] = _ymd(file_day)  # データ作成日 of the file that first carried it
            if ev.kind == "02":
                rec["transfer_date"] = _ymd(transfer_date(confirm_day))
        return rec

    def _barcode(self, p: Payment) -> str:
        """The barcode we issued for the order (one per payment, shared by its 01, 02 and 03)."""
        key = id(p)
        code = self._barcodes.get(key)
        if code is None:
            code = self._barcodes[key] = gs1.build_barcode(
                self.settings.gs1_company_code, p.reference, p.due_date, p.barcode_stamp, p.barcode_amount
            )
        return code

    def content(self, f: FeedFile) -> bytes:
        day = f.created_at.date()
        records = [self.record(ev, day) for ev in f.events] + [self.record(ev, day) for ev in f.resent]
        if f.folder == "sej":
            body = sej.build_file(sej.FILE_KINDS[f.kind], f.created_at, f.sequence_no, records,
                                  self.settings.sej_company_code)
        elif f.folder == "famima":
            body = famima.build_file(famima.FILE_KINDS[f.kind], f.created_at, f.sequence_no, records,
                                     self.settings.fm_company_code)
        else:
            body = cvs.build_file(f.created_at, records)
        return _cut_short(body) if f.corrupt else body


def _cut_short(body: bytes) -> bytes:
    """An interrupted transfer: two thirds of the bytes, never ending on a 128-byte boundary."""
    cut = len(body) * 2 // 3
    if cut % 128 == 0:
        cut -= 7
    return body[:cut]
