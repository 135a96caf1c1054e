"""The bank's 振込入金通知 files (全銀協 format, 種別コード 01; treasury.md): incoming transfers to our
account. cp932, 200-byte records each followed by CRLF (the end record too): header, data, trailer, end.
Dates are 和暦 YYMMDD in the 令和 era (year − 2018).

Writer, for the simulator and tests:

    build_file(created_at: datetime, from_date: date, to_date: date, records: list[dict],
               account: PayoutAccount, sequence_no: int | None = None) -> bytes

Each record dict has `inquiry_no` (int or 6 digits, 照会番号), `booking_date` (date, 勘定日), `amount`
(int yen), `remitter_name` (half-width kana), and optionally `value_date` (default the booking date),
`remitter_code`, `sending_bank`, `sending_branch`, `edi`, `cancel` (bool: 取消区分 1). The trailer
and end record are computed.

Reader: `parse(f: InboundFile, settings: Settings) -> BankParsed` (the transfers and every reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl

from schemas.bank import BANK_DATA, BANK_END, BANK_HEADER, BANK_TRAILER, REIWA_OFFSET, wareki_date
from tasks.feeds.checks import expect_equal, schemas_reasons, trailer_reasons
from tasks.feeds.layout import Field, FixedLayout, Record, format_record
from tasks.feeds.reader import limited, read_fixed
from tasks.inbox import InboundFile, Reason
from tasks.settings import PayoutAccount, Settings

FEED = "BANK"
KIND = "BANK_IN"

HEADER = Record("header", "1", (
    Field("record_type", 1, 1, "N", const="1"),  # データ区分
    Field("kind_code", 2, 2, "N", const="01"),  # 種別コード 振込入金通知
    Field("code_division", 4, 1, "N", const="0"),  # コード区分 (JIS)
    Field("created_date", 5, 6, "N"),  # 作成日 YYMMDD 和暦
    Field("from_date", 11, 6, "N"),  # 勘定日(自)
    Field("to_date", 17, 6, "N"),  # 勘定日(至)
    Field("bank_code", 23, 4, "N"),  # 銀行コード (ours)
    Field("bank_name", 27, 15, "C"),
    Field("branch_code", 42, 3, "N"),  # 支店コード (ours)
    Field("branch_name", 45, 15, "C"),
    Field("account_type", 60, 1, "N"),  # 預金種目
    Field("account_number", 61, 7, "N"),  # 口座番号 (ours)
    Field("account_name", 68, 40, "C"),
    Field("filler", 108, 93, "C"),
))
DATA = Record("data", "2", (
    Field("record_type", 1, 1, "N", const="2"),
    Field("inquiry_no", 2, 6, "N"),  # 照会番号
    Field("booking_date", 8, 6, "N"),  # 勘定日
    Field("value_date", 14, 6, "N"),  # 起算日
    Field("amount", 20, 10, "N"),  # 金額
    Field("other_bank_amount", 30, 10, "N"),  # うち他店券金額
    Field("remitter_code", 40, 10, "N"),  # 振込依頼人コード
    Field("remitter_name", 50, 48, "C"),  # 振込依頼人名
    Field("sending_bank", 98, 15, "C"),  # 仕向銀行名
    Field("sending_branch", 113, 15, "C"),  # 仕向支店名
    Field("cancel", 128, 1, "C"),  # 取消区分: space, or 1 (cancels an earlier record)
    Field("edi", 129, 20, "C"),  # EDI情報
    Field("filler", 149, 52, "C"),
))
TRAILER = Record("trailer", "8", (
    Field("record_type", 1, 1, "N", const="8"),
    Field("count", 2, 6, "N"),  # 入金件数 (取消区分 space)
    Field("total", 8, 12, "N"),  # 入金額合計
    Field("cancel_count", 20, 6, "N"),  # 取消件数
    Field("cancel_total", 26, 12, "N"),  # 取消金額合計
    Field("filler", 38, 163, "C"),
))
END = Record("end", "9", (
    Field("record_type", 1, 1, "N", const="9"),
    Field("filler", 2, 199, "C"),
))
LAYOUT = FixedLayout(FEED, 200, "\r\n", (HEADER, DATA, TRAILER, END))
# Facts of a transfer beyond its identity (勘定日, 照会番号): a resend must repeat them exactly.
FACTS = ("value_date", "amount", "remitter_code", "remitter_name", "sending_bank", "sending_branch", "edi")
TRANSFER_SCHEMA = {
    "record_no": pl.Int32, "inquiry_no": pl.String, "booking_date": pl.Date, "value_date": pl.Date,
    "amount": pl.Int64, "other_bank_amount": pl.Int64, "remitter_code": pl.String,
    "remitter_name": pl.String, "sending_bank": pl.String, "sending_branch": pl.String,
    "is_cancellation": pl.Boolean, "edi": pl.String,
}


@dataclass
class BankParsed:
    """A BANK_IN file read and checked on its own (no warehouse needed)."""

    transfers: pl.DataFrame | None  # TRANSFER_SCHEMA; None when the file could not be read
    reasons: list[Reason] = field(default_factory=list)
    created_date: date | None = None  # 作成日 of the header
    from_date: date | None = None  # 勘定日(自)
    to_date: date | None = None  # 勘定日(至)
    booked: tuple[date | None, date | None] = (None, None)  # first and last 勘定日 of the transfers


def wareki(d: date) -> str:
    """A date as 令和 YYMMDD (2026-11-13 → 081113)."""
    return f"{d.year - REIWA_OFFSET:02d}{d:%m%d}"


def build_file(created_at: datetime, from_date: date, to_date: date, records: list[dict],
               account: PayoutAccount, sequence_no: int | None = None) -> bytes:
    """A whole BANK_IN file (header, data, trailer, end), each record followed by CRLF.

    `sequence_no` is not in the layout (only in the file name): accepted for symmetry, unused."""
    out = [format_record(HEADER, {
        "created_date": wareki(created_at.date()), "from_date": wareki(from_date), "to_date": wareki(to_date),
        "bank_code": account.bank_code, "branch_code": account.branch_code,
        "account_type": account.account_type, "account_number": account.account_number,
        "account_name": account.remitter_name,
    })]
    sums = {"count": 0, "total": 0, "cancel_count": 0, "cancel_total": 0}
    for r in records:
        cancel = bool(r.get("cancel"))
        sums["cancel_count" if cancel else "count"] += 1
        sums["cancel_total" if cancel else "total"] += int(r["amount"])
        out.append(format_record(DATA, {
            "inquiry_no": int(r["inquiry_no"]), "booking_date": wareki(r["booking_date"]),
            "value_date": wareki(r.get("value_date") or r["booking_date"]), "amount": int(r["amount"]),
            "other_bank_amount": 0, "remitter_code": r.get("remitter_code", 0),
            "remitter_name": r["remitter_name"], "sending_bank": r.get("sending_bank", ""),
            "sending_branch": r.get("sending_branch", ""), "cancel": "1" if cancel else " ",
            "edi": r.get("edi", ""),
        }))
    out.append(format_record(TRAILER, sums))
    out.append(format_record(END, {}))
    return b"".join(rec + b"\r\n" for rec in out)


def _header_reasons(header: pl.DataFrame, dates: tuple, f: InboundFile,
                    account: PayoutAccount) -> list[Reason]:
    """The header's account must be ours; its creation date the file name's; 自 ≤ 至.
    `dates`: the header's (作成日, 勘定日(自), 勘定日(至)) as dates (None when no date)."""
    if header.height != 1:
        return []
    h = header.row(0, named=True)
    no = h["record_no"]
    reasons = []
    for name, ours in (("bank_code", account.bank_code), ("branch_code", account.branch_code),
                       ("account_type", account.account_type), ("account_number", account.account_number)):
        reasons += expect_equal(f"header {name} (our account)", h[name], ours, no, name)
    reasons += expect_equal("header 作成日 (file name)", h["created_date"], wareki(f.meta.created_at.date()),
                            no, "created_date")
    _, lo, hi = dates
    if lo is not None and hi is not None and lo > hi:
        reasons.append(Reason(f"勘定日(自) {lo} is after 勘定日(至) {hi}", no, "from_date", h["from_date"]))
    return reasons


def _transfers(data: pl.LazyFrame) -> pl.LazyFrame:
    def trimmed(name: str) -> pl.Expr:
        return pl.col(name).str.strip_chars_end(" ")

    return data.select(
        pl.col("record_no").cast(pl.Int32), "inquiry_no",
        booking_date=wareki_date(pl.col("booking_date")), value_date=wareki_date(pl.col("value_date")),
        amount=pl.col("amount").cast(pl.Int64, strict=False),
        other_bank_amount=pl.col("other_bank_amount").cast(pl.Int64, strict=False),
        remitter_code=pl.col("remitter_code"), remitter_name=trimmed("remitter_name"),
        sending_bank=trimmed("sending_bank"), sending_branch=trimmed("sending_branch"),
        is_cancellation=pl.col("cancel") == "1", edi=trimmed("edi"),
    ).select(pl.col(c).cast(t) for c, t in TRANSFER_SCHEMA.items())


_KEY = ["inquiry_no", "is_cancellation"]
_SUMS = ("count", "total", "cancel_count", "cancel_total")  # the trailer's, in its order


def _data_checks(t: pl.DataFrame, lo: date | None, hi: date | None) -> dict:
    """In one Polars pass: whether each check of `_data_reasons` may fail (a cheap test that is
    true whenever the check fails), the sums the trailer must give (`count`, `total`,
    `cancel_count`, `cancel_total`) and the first and last 勘定日 (`first_day`, `last_day`)."""
    c = pl.col("is_cancellation")
    outside = (~pl.col("booking_date").is_between(lo, hi)).any() if lo is not None and hi is not None \
        else pl.lit(False)
    return t.select(count=(~c).sum(), total=pl.col("amount").filter(~c).sum(),
                    cancel_count=c.sum(), cancel_total=pl.col("amount").filter(c).sum(),
                    outside=outside, repeated=pl.struct(_KEY).is_duplicated().any(),
                    cancels=c.any(), first_day=pl.col("booking_date").min(),
                    last_day=pl.col("booking_date").max()).row(0, named=True)


def _data_reasons(t: pl.DataFrame, lo: date | None, hi: date | None, may_fail: dict) -> list[Reason]:
    """勘定日 within the header's range; one transfer and one cancellation per 照会番号 at most;
    a cancellation of a transfer of this file repeats its amount. Each check worded only when
    `may_fail` (from `_data_checks`) says it may have failed: the usual file skips them all."""
    reasons = []
    if may_fail["outside"]:
        outside = t.filter(~pl.col("booking_date").is_between(lo, hi))
        reasons += limited([
            Reason(f"勘定日 {d} is outside the header's range {lo}..{hi}", no, "booking_date", str(d))
            for no, d in outside.filter(pl.col("booking_date").is_not_null())
            .select("record_no", "booking_date").iter_rows()], "a 勘定日 outside the range")
    if may_fail["repeated"]:
        dup = t.with_columns(first=pl.col("record_no").min().over(_KEY))
        dup = dup.filter(pl.col("record_no") != pl.col("first"))
        reasons += limited([
            Reason(f"照会番号 {q} again (record {first}): unique within the file", no, "inquiry_no", q)
            for no, q, first in dup.select("record_no", "inquiry_no", "first").iter_rows()],
            "a repeated 照会番号")
    if may_fail["cancels"]:
        pairs = t.filter(pl.col("is_cancellation")).join(
            t.filter(~pl.col("is_cancellation")), on=["inquiry_no", "booking_date"], suffix="_of")
        reasons += limited([
            Reason(f"cancels record {of} of {amount_of} yen with another amount", no, "amount", str(amount))
            for no, amount, of, amount_of in pairs.filter(pl.col("amount") != pl.col("amount_of"))
            .select("record_no", "amount", "record_no_of", "amount_of").iter_rows()],
            "a cancellation's amount")
    return reasons


def parse(f: InboundFile, settings: Settings) -> BankParsed:
    """Read and check a whole BANK_IN file: its transfers and every reason found.

    The usual (valid) file costs few Polars calls: the schemas in one, the transfers and the
    header's dates in one, the data checks and the trailer's sums in one."""
    read = read_fixed(f.content, LAYOUT)
    reasons = list(read.reasons)
    if not read.records:
        return BankParsed(None, reasons)
    header, data, trailer = read.records["header"], read.records["data"], read.records["trailer"]
    reasons += schemas_reasons([(header, BANK_HEADER), (data, BANK_DATA), (trailer, BANK_TRAILER),
                                (read.records["end"], BANK_END)])
    dates, transfers = pl.collect_all([
        header.lazy().select(wareki_date(pl.col(c)) for c in ("created_date", "from_date", "to_date")),
        _transfers(data.lazy())])
    dates = dates.row(0) if header.height == 1 else (None, None, None)
    reasons += _header_reasons(header, dates, f, settings.payout_account)
    created, lo, hi = dates
    checks = _data_checks(transfers, lo, hi)
    reasons += _data_reasons(transfers, lo, hi, checks)
    reasons += trailer_reasons(trailer, {k: checks[k] for k in _SUMS})
    return BankParsed(transfers, reasons, created, lo, hi, (checks["first_day"], checks["last_day"]))
