"""CVS result files (ローソン, ミニストップ, デイリーヤマザキ, セイコーマート): CSV, no header, no
quoting, CRLF line ends; one file mixes chains and kinds; the last line is the trailer
`99,{data lines},{sum of 01 and 02 amounts},{03 lines},{sum of 03 amounts}`.

Writer, for the simulator and tests:

    build_file(created_at: datetime, records: list[dict]) -> bytes

Each record dict has `kind` ("01", "02" or "03"), `paid_date` (date or "YYYYMMDD"), `paid_time`
(time or "HHMM"), `barcode` (44 digits, see gs1.build_barcode), `stamp_flag` (bool), `amount`
(int yen), `chain` (`lawson`, `ministop`, `daily`, `seicomart`), `store_code` (1 to 7 digits,
written as given), `transfer_date` (date, 02 only) and optionally `data_date` (データ作成日,
default: the file's creation date). The trailer is computed.

Reader: `parse(f: InboundFile, settings: Settings) -> Parsed` (events frame and every reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import polars as pl

from schemas.feeds import CVS_DATA, CVS_TRAILER
from tasks.feeds import gs1
from tasks.feeds.checks import (
    Parsed,
    event_reasons,
    finish,
    kind_sums,
    schemas_reasons,
    to_date,
    trailer_reasons,
)
from tasks.feeds.reader import csv_columns, limited, read_csv
from tasks.inbox import InboundFile, Reason
from tasks.settings import Settings

FEED = "CVS"
ENCODING = "cp932"
SEPARATOR = ","
LINE_END = "\r\n"
TRAILER_CODE = "99"

# コンビニ本部コード -> (chain, コンビニ名 as the chains write it)
CHAINS = {
    "020": ("lawson", "ローソン"),
    "080": ("ministop", "ミニストップ"),
    "050": ("daily", "デイリーヤマザキ"),
    "760": ("seicomart", "セイコーマート"),
}
CHAIN_CODES = {chain: code for code, (chain, _) in CHAINS.items()}


@dataclass(frozen=True)
class Column:
    name: str
    form: str  # how the value is checked: see schemas.feeds


DATA_COLUMNS = (
    Column("kind", "kind"),  # 種別 01, 02, 03
    Column("paid_date", "date"),  # 収納日
    Column("paid_time", "time4"),  # 収納時刻 HHMM
    Column("barcode", "barcode"),  # GS1-128, 44 digits
    Column("stamp_flag", "flag"),  # 印紙フラグ
    Column("amount", "amount"),  # 金額
    Column("chain_code", "chain_code"),  # コンビニ本部コード
    Column("chain_name", "text"),  # コンビニ名 (informative)
    Column("store_code", "store_code"),  # 店舗コード, 1 to 7 digits, kept as written
    Column("transfer_date", "date_or_0"),  # 振込予定日 (02), `0` otherwise
    Column("data_date", "date"),  # データ作成日 (informative)
)
TRAILER_COLUMNS = (
    Column("record_type", "99"),
    Column("count", "digits"),
    Column("total", "digits"),
    Column("cancel_count", "digits"),
    Column("cancel_total", "digits"),
)


def _ymd(value: date | str) -> str:
    return value.strftime("%Y%m%d") if isinstance(value, date) else str(value)


def _hhmm(value: time | str) -> str:
    return value.strftime("%H%M") if isinstance(value, time | datetime) else str(value)


def format_line(values: list[str]) -> str:
    for v in values:
        if SEPARATOR in v or "\r" in v or "\n" in v:
            raise ValueError(f"CVS fields are unquoted: {v!r} cannot be written")
    return SEPARATOR.join(values) + LINE_END


def build_file(created_at: datetime, records: list[dict]) -> bytes:
    """A whole CVS file, data lines then the trailer, cp932 with CRLF line ends."""
    lines = []
    total = cancel_total = cancel_count = 0
    for r in records:
        code = CHAIN_CODES[r["chain"]]
        amount = int(r["amount"])
        if r["kind"] == "03":
            cancel_count += 1
            cancel_total += amount
        else:
            total += amount
        transfer = r.get("transfer_date")
        lines.append(format_line([
            r["kind"], _ymd(r["paid_date"]), _hhmm(r["paid_time"]), r["barcode"],
            "1" if r["stamp_flag"] else "0", str(amount), code, CHAINS[code][1], str(r["store_code"]),
            _ymd(transfer) if transfer is not None else "0",
            _ymd(r.get("data_date") or created_at.date()),
        ]))
    trailer = [TRAILER_CODE, str(len(records)), str(total), str(cancel_count), str(cancel_total)]
    lines.append(format_line(trailer))
    return "".join(lines).encode(ENCODING)


def _rows(frame: pl.DataFrame, reason: str, field: str | None, value_col: str | None) -> list[Reason]:
    cols = ["record_no"] + ([value_col] if value_col else [])
    return limited([
        Reason(reason, row[0], field, row[1] if value_col else None) for row in frame.select(cols).iter_rows()
    ], reason)


# the check digit's expression (43 weighted slices) is built once, not per file
_CHECK_DIGIT = gs1.check_digit_expr(pl.col("barcode")).cast(pl.String)


def _barcode_reasons(data: pl.DataFrame, settings: Settings) -> list[Reason]:
    """The barcode: ours, intact, and for the amount the record says."""
    reasons = []
    code = pl.col("barcode")
    barcodes = data.lazy().filter(code.str.contains(r"^[0-9]{44}$")).with_columns(
        expected=_CHECK_DIGIT,
        given=code.str.slice(43, 1),
    )
    amount = pl.col("amount").cast(pl.Int64, strict=False)
    rules = [
        (pl.col("given") != pl.col("expected"), "barcode check digit is wrong", "barcode", "barcode"),
        (code.str.slice(0, 2) != gs1.AI, f"barcode application identifier must be {gs1.AI}", "barcode",
         "barcode"),
        (code.str.slice(2, 6) != settings.gs1_company_code,
         f"barcode company code is not ours ({settings.gs1_company_code})", "barcode", "barcode"),
        (code.str.slice(19, 10) != "0" * 10, "barcode free field must be the 11-digit reference then ten 0",
         "barcode", "barcode"),
        (amount != code.str.slice(37, 6).cast(pl.Int64), "金額 differs from the barcode's amount", "amount",
         "amount"),
    ]
    # one query counts every rule; wording the reasons needs the records, the usual file has none
    broken = barcodes.select(rule.any().alias(str(i)) for i, (rule, *_) in enumerate(rules)).collect().row(0)
    for (rule, reason, field, value), any_broken in zip(rules, broken, strict=True):
        if any_broken:
            reasons += _rows(barcodes.filter(rule).collect(), reason, field, value)
    return reasons


def parse(f: InboundFile, settings: Settings) -> Parsed:
    """Read and check a whole CVS file; the events frame of feed_records and every reason found."""
    read = read_csv(f.content, SEPARATOR, LINE_END)
    reasons = list(read.reasons)
    lines = read.lines
    if lines.height == 0:
        return Parsed(None, reasons or [Reason("the file holds no line")], f.meta.created_at)
    is_trailer = pl.col("fields").list.first() == TRAILER_CODE
    last = lines["record_no"].max()
    trailer_lines = lines.filter(is_trailer & (pl.col("record_no") == last))
    if trailer_lines.height == 0:
        reasons.append(Reason(f"the trailer ({TRAILER_CODE}) must be the last line", last))
    reasons += _rows(lines.filter(is_trailer & (pl.col("record_no") != last)),
                     "a trailer line before the last line", "record_type", None)
    data_lines = lines.filter(~is_trailer)
    n_fields = pl.col("n_fields").cast(pl.String)
    reasons += _rows(data_lines.filter(pl.col("n_fields") != len(DATA_COLUMNS)).with_columns(n_fields),
                     f"a data line must have {len(DATA_COLUMNS)} fields", "fields", "n_fields")
    reasons += _rows(trailer_lines.filter(pl.col("n_fields") != len(TRAILER_COLUMNS)).with_columns(n_fields),
                     f"the trailer must have {len(TRAILER_COLUMNS)} fields", "fields", "n_fields")
    data = csv_columns(data_lines.filter(pl.col("n_fields") == len(DATA_COLUMNS)),
                       [c.name for c in DATA_COLUMNS])
    trailer = csv_columns(trailer_lines.filter(pl.col("n_fields") == len(TRAILER_COLUMNS)),
                          [c.name for c in TRAILER_COLUMNS])
    reasons += schemas_reasons([(data, CVS_DATA), (trailer, CVS_TRAILER)])

    reasons += _barcode_reasons(data, settings)
    code = pl.col("barcode")
    amount = pl.col("amount").cast(pl.Int64, strict=False)

    sums = kind_sums(data)
    sums["count"] = data_lines.height  # lines of the wrong shape count too: the trailer counts lines
    reasons += trailer_reasons(trailer, sums)

    chains = {c: name for c, (name, _) in CHAINS.items()}
    events = finish(data.select(
        "record_no", "kind", "store_code", "barcode",
        feed=pl.lit(FEED),
        chain=pl.col("chain_code").replace_strict(chains, default=None),
        reference=code.str.slice(8, gs1.REFERENCE_LENGTH),
        paid_date=to_date(pl.col("paid_date")),
        paid_time=pl.col("paid_time") + "00",
        amount=amount,
        stamp_flag=pl.col("stamp_flag") == "1",
        transfer_date=pl.when(pl.col("kind") == "02").then(to_date(pl.col("transfer_date"))),
        barcode_stamp=code.str.slice(36, 1) == "1",
        file_created_at=pl.lit(f.meta.created_at),
    ))
    reasons += event_reasons(events, f.meta.created_at)
    return Parsed(events, reasons, f.meta.created_at)
