"""FM (ファミリーマート) result files: 128-byte records back to back, no line separators.

File kind `S` (速報 file) or `K` (確報 file). A data record's kind is the file kind plus its
処理区分 (division): S+1 = 01 速報, S+2 = 03 速報取消, K+1 = 02 確報 (K+2 is invalid).

Writer, for the simulator and tests:

    build_file(kind: str, created_at: datetime, sequence_no: int, records: list[dict],
               company_code: str) -> bytes

`kind` is the file kind "S" or "K". Each record dict has `kind` ("01", "02" or "03"),
`reference` (12 digits, 注文番号), `paid_date` (date or "YYYYMMDD"), `paid_time` (time or
"HHMMSS"), `store_code` (6 digits), `amount` (int yen), `stamp_flag` (bool), and for 02 records
`confirmed_date` and `transfer_date` (dates). The trailer is computed.

Reader: `parse(f: InboundFile, settings: Settings) -> Parsed` (events frame and every reason).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from schemas.feeds import FM_DATA, FM_HEADER, FM_TRAILER
from tasks.feeds.checks import (
    Parsed,
    event_reasons,
    finish,
    header_reasons,
    schemas_reasons,
    to_date,
    to_datetime,
    trailer_reasons,
)
from tasks.feeds.layout import Field, FixedLayout, Record, format_field, format_record
from tasks.feeds.reader import limited, read_fixed
from tasks.inbox import InboundFile, Reason
from tasks.settings import Settings

FILE_KINDS = {"FM_S": "S", "FM_K": "K"}  # inbox kind -> header file kind
# (file kind, 処理区分) -> record kind
RECORD_KINDS = {("S", "1"): "01", ("S", "2"): "03", ("K", "1"): "02"}
FEED, CHAIN = "FM", "famima"

HEADER = Record("header", "H", (
    Field("record_type", 1, 1, "C", const="H"),
    Field("file_kind", 2, 1, "C"),
    Field("company_code", 3, 5, "N"),  # 企業コード
    Field("created_date", 8, 8, "N", form="date"),
    Field("created_time", 16, 6, "N", form="time6"),
    Field("sequence_no", 22, 6, "N"),
    Field("filler", 28, 101, "C"),
))
DATA = Record("data", "D", (
    Field("record_type", 1, 1, "C", const="D"),
    Field("division", 2, 1, "N"),  # 処理区分 1 収納, 2 取消
    Field("company_code", 3, 5, "N"),  # must equal the header's
    Field("reference", 8, 12, "N"),  # 注文番号
    Field("paid_at", 20, 14, "N", form="datetime14"),  # 収納日時
    Field("store_code", 34, 6, "N"),
    Field("amount", 40, 8, "N"),
    Field("stamp_flag", 48, 1, "N", form="flag"),
    Field("confirmed_date", 49, 8, "N", form="date", blank=True),  # 確定日 (K), spaces in S
    Field("transfer_date", 57, 8, "N", form="date", blank=True),  # 入金予定日 (K), spaces in S
    Field("filler", 65, 64, "C"),
))
TRAILER = Record("trailer", "T", (
    Field("record_type", 1, 1, "C", const="T"),
    Field("count", 2, 7, "N"),  # data records
    Field("total", 9, 12, "N"),  # sum of amounts with 処理区分 1
    Field("cancel_total", 21, 12, "N"),  # sum of amounts with 処理区分 2
    Field("filler", 33, 96, "C"),
))
LAYOUT = FixedLayout(FEED, 128, "", (HEADER, DATA, TRAILER))


def build_file(
    kind: str, created_at: datetime, sequence_no: int, records: list[dict], company_code: str
) -> bytes:
    """A whole FM file (header, data, trailer), records back to back."""
    divisions = {k: division for (fk, division), k in RECORD_KINDS.items() if fk == kind}
    if not divisions:
        raise ValueError(f"FM file kind must be S or K, not {kind!r}")
    out = [format_record(HEADER, {
        "file_kind": kind, "company_code": company_code, "created_date": created_at,
        "created_time": created_at, "sequence_no": sequence_no,
    })]
    total = cancel_total = 0
    paid_time = DATA.field("paid_at")
    for r in records:
        if r["kind"] not in divisions:
            raise ValueError(f"a {r['kind']} record cannot be in an FM {kind} file")
        division = divisions[r["kind"]]
        if division == "1":
            total += int(r["amount"])
        else:
            cancel_total += int(r["amount"])
        paid_date = format_field(HEADER.field("created_date"), r["paid_date"])
        hhmmss = format_field(HEADER.field("created_time"), r["paid_time"])
        out.append(format_record(DATA, {
            "division": division, "company_code": company_code, "reference": r["reference"],
            "paid_at": format_field(paid_time, paid_date + hhmmss),
            "store_code": r["store_code"], "amount": r["amount"], "stamp_flag": r["stamp_flag"],
            "confirmed_date": r.get("confirmed_date"), "transfer_date": r.get("transfer_date"),
        }))
    out.append(format_record(TRAILER, {
        "count": len(records), "total": total, "cancel_total": cancel_total,
    }))
    return b"".join(out)


def parse(f: InboundFile, settings: Settings) -> Parsed:
    """Read and check a whole FM file; the events frame of feed_records and every reason found."""
    read = read_fixed(f.content, LAYOUT)
    reasons = list(read.reasons)
    if not read.records:
        return Parsed(None, reasons, f.meta.created_at)
    file_kind = FILE_KINDS[f.meta.kind]
    header, trailer = read.records["header"], read.records["trailer"]
    data = read.records["data"].with_columns(file_kind=pl.lit(file_kind))
    reasons += schemas_reasons([(header, FM_HEADER), (data, FM_DATA), (trailer, FM_TRAILER)])

    if header.height == 1:
        h = header.row(0, named=True)
        created = h["created_date"] + h["created_time"]
        reasons += header_reasons(h, file_kind, settings.fm_company_code, created, "created_date",
                                  f.meta.created_at, f.meta.sequence_no)
    foreign = data.filter(pl.col("company_code") != settings.fm_company_code)
    reasons += limited([
        Reason(f"company code differs from ours ({settings.fm_company_code})", no, "company_code", code)
        for no, code in foreign.select("record_no", "company_code").iter_rows()
    ], "a foreign company code")
    kinds = {division: kind for (fk, division), kind in RECORD_KINDS.items() if fk == file_kind}
    invalid = data.filter(~pl.col("division").is_in(list(kinds)))
    reasons += limited([
        Reason(f"処理区分 {division} is not allowed in an FM {file_kind} file", no, "division", division)
        for no, division in invalid.select("record_no", "division").iter_rows()
    ], "a division foreign to the file")

    amount = pl.col("amount").cast(pl.Int64, strict=False)
    sums = data.select(
        count=pl.len(),
        total=amount.filter(pl.col("division") == "1").sum(),
        cancel_total=amount.filter(pl.col("division") == "2").sum(),
    ).row(0, named=True)
    reasons += trailer_reasons(trailer, sums)

    paid_at = to_datetime(pl.col("paid_at"), "%Y%m%d%H%M%S")
    events = finish(data.select(
        "record_no", "reference", "store_code",
        feed=pl.lit(FEED), chain=pl.lit(CHAIN),
        kind=pl.col("division").replace_strict(kinds, default=None),
        paid_date=paid_at.dt.date(),
        paid_time=pl.col("paid_at").str.slice(8, 6),
        amount=amount,
        stamp_flag=pl.col("stamp_flag") == "1",
        transfer_date=to_date(pl.col("transfer_date")),
        confirmed_date=to_date(pl.col("confirmed_date")),
        file_created_at=pl.lit(f.meta.created_at),
    ))
    reasons += event_reasons(events, f.meta.created_at)
    return Parsed(events, reasons, f.meta.created_at)
