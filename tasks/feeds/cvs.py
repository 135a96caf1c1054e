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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

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
