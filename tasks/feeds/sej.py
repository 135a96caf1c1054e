"""SEJ (セブン-イレブン) result files: 120-byte records, each followed by CRLF (the end record too).

File kind `01` (速報 file) carries 01 and 03 records; kind `02` (確報 file) carries 02 records only.

Writer, for the simulator and tests:

    build_file(kind: str, created_at: datetime, sequence_no: int, records: list[dict],
               company_code: str) -> bytes

`kind` is the file kind "01" or "02". Each record dict has `kind` ("01", "02" or "03"),
`reference` (13 digits), `paid_date` (date or "YYYYMMDD"), `paid_time` (time or "HHMM"),
`store_code` (7 digits), `amount` (int yen), `stamp_flag` (bool), and optionally
`transfer_date` (date, 02 only) and `cancelled_at` (datetime, 03 only). The trailer and end
record are computed.

Reader: `parse(f: InboundFile, settings: Settings) -> Parsed` (events frame and every reason).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from schemas.feeds import SEJ_DATA, SEJ_END, SEJ_HEADER, SEJ_TRAILER
from tasks.feeds.checks import (
    Parsed,
    event_reasons,
    finish,
    header_reasons,
    kind_sums,
    schemas_reasons,
    to_date,
    to_datetime,
    trailer_reasons,
)
from tasks.feeds.layout import Field, FixedLayout, Record, format_record
from tasks.feeds.reader import limited, read_fixed
from tasks.inbox import InboundFile, Reason
from tasks.settings import Settings

FEED = "SEJ"
CHAIN = "seven"
FILE_KINDS = {"SEJ_01": "01", "SEJ_02": "02"}  # inbox kind -> header file kind
RECORD_KINDS = {"01": ("01", "03"), "02": ("02",)}  # file kind -> data record kinds allowed

HEADER = Record("header", "1", (
    Field("record_type", 1, 1, "N", const="1"),
    Field("file_kind", 2, 2, "N"),
    Field("company_code", 4, 6, "N"),  # 収納企業コード
    Field("created_at", 10, 14, "N", form="datetime14"),
    Field("sequence_no", 24, 6, "N"),
    Field("filler", 30, 91, "C"),
))
DATA = Record("data", "2", (
    Field("record_type", 1, 1, "N", const="2"),
    Field("kind", 2, 2, "N"),
    Field("reference", 4, 13, "N"),  # 払込票番号
    Field("paid_date", 17, 8, "N", form="date"),  # 収納日
    Field("paid_time", 25, 4, "N", form="time4"),  # 収納時刻 HHMM
    Field("store_code", 29, 7, "N"),  # 店舗コード
    Field("amount", 36, 6, "N"),  # 金額
    Field("stamp_flag", 42, 1, "N", form="flag"),  # 印紙フラグ
    Field("transfer_date", 43, 8, "N", form="date"),  # 振込予定日 (02), else zeros
    Field("cancelled_at", 51, 12, "N", form="datetime12"),  # 取消日時 (03), else zeros
    Field("filler", 63, 58, "C"),
))
TRAILER = Record("trailer", "8", (
    Field("record_type", 1, 1, "N", const="8"),
    Field("count", 2, 6, "N"),  # data records (01, 02 and 03)
    Field("total", 8, 12, "N"),  # sum of amounts of 01 and 02 records
    Field("cancel_count", 20, 6, "N"),  # 03 records
    Field("cancel_total", 26, 12, "N"),  # sum of amounts of 03 records
    Field("filler", 38, 83, "C"),
))
END = Record("end", "9", (
    Field("record_type", 1, 1, "N", const="9"),
    Field("filler", 2, 119, "C"),
))
LAYOUT = FixedLayout(FEED, 120, "\r\n", (HEADER, DATA, TRAILER, END))


def build_file(
    kind: str, created_at: datetime, sequence_no: int, records: list[dict], company_code: str
) -> bytes:
    """A whole SEJ file (header, data, trailer, end), each record followed by CRLF."""
    if kind not in RECORD_KINDS:
        raise ValueError(f"SEJ file kind must be 01 or 02, not {kind!r}")
    sep = LAYOUT.separator.encode()
    out = [format_record(HEADER, {
        "file_kind": kind, "company_code": company_code,
        "created_at": created_at, "sequence_no": sequence_no,
    })]
    total = cancel_total = cancel_count = 0
    for r in records:
        if r["kind"] not in RECORD_KINDS[kind]:
            raise ValueError(f"a {r['kind']} record cannot be in an SEJ {kind} file")
        if r["kind"] == "03":
            cancel_count += 1
            cancel_total += int(r["amount"])
        else:
            total += int(r["amount"])
        out.append(format_record(DATA, {k: r.get(k) for k in (
            "kind", "reference", "paid_date", "paid_time", "store_code", "amount",
            "stamp_flag", "transfer_date", "cancelled_at",
        )}))
    out.append(format_record(TRAILER, {
        "count": len(records), "total": total,
        "cancel_count": cancel_count, "cancel_total": cancel_total,
    }))
    out.append(format_record(END, {}))
    return b"".join(rec + sep for rec in out)


def parse(f: InboundFile, settings: Settings) -> Parsed:
    """Read and check a whole SEJ file; the events frame of feed_records and every reason found."""
    read = read_fixed(f.content, LAYOUT)
    reasons = list(read.reasons)
    if not read.records:
        return Parsed(None, reasons, f.meta.created_at)
    header, data, trailer = read.records["header"], read.records["data"], read.records["trailer"]
    reasons += schemas_reasons([(header, SEJ_HEADER), (data, SEJ_DATA), (trailer, SEJ_TRAILER),
                                (read.records["end"], SEJ_END)])

    file_kind = FILE_KINDS[f.meta.kind]
    if header.height == 1:
        h = header.row(0, named=True)
        reasons += header_reasons(h, file_kind, settings.sej_company_code, h["created_at"], "created_at",
                                  f.meta.created_at, f.meta.sequence_no)
    misplaced = data.filter(~pl.col("kind").is_in(RECORD_KINDS[file_kind]))
    reasons += limited([
        Reason(f"a {kind} record cannot be in an SEJ {file_kind} file", no, "kind", kind)
        for no, kind in misplaced.select("record_no", "kind").iter_rows()
    ], "a kind foreign to the file")

    amount = pl.col("amount").cast(pl.Int64, strict=False)
    sums = kind_sums(data)
    reasons += trailer_reasons(trailer, sums)

    events = finish(data.select(
        "record_no", "kind", "reference", "store_code",
        feed=pl.lit(FEED), chain=pl.lit(CHAIN),
        paid_date=to_date(pl.col("paid_date")),
        paid_time=pl.col("paid_time") + "00",
        amount=amount,
        stamp_flag=pl.col("stamp_flag") == "1",
        transfer_date=pl.when(pl.col("kind") == "02").then(to_date(pl.col("transfer_date"))),
        cancelled_at=pl.when(pl.col("kind") == "03").then(to_datetime(pl.col("cancelled_at"), "%Y%m%d%H%M")),
        file_created_at=pl.lit(f.meta.created_at),
    ))
    reasons += event_reasons(events, f.meta.created_at)
    return Parsed(events, reasons, f.meta.created_at)
