"""Zengin 総合振込 payout file (全銀協フォーマット, 種別コード 21, コード区分 0).

Four record kinds of 120 bytes, cp932, separated by CRLF with none after the end record. Each
record is declared as a list of fields (name, length, kind) and written by one function: `N` fields
are zero-padded digits, `C` fields are Zengin-character-set text (tasks.kana.to_zengin), left-aligned
and space-padded. `write_payout_file` is a pure function of its inputs; `bank_names` looks names up
in the `zengin-code` data set for callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from tasks.digits import ascii_digits  # the file is cp932 with ASCII digits
from tasks.kana import to_zengin as _to_zengin

# Bank and branch names repeat across transfers: convert each text once.
to_zengin = lru_cache(maxsize=65536)(_to_zengin)

RECORD_LEN = 120
NEVER_PAID_BANK = "9900"  # ゆうちょ銀行: never paid (rules.md)

# (field, length, kind); kind N = digits, C = Zengin text, F = a fixed value given in `value`
HEADER = [
    ("data_kind", 1, "N"),  # データ区分 1
    ("type_code", 2, "N"),  # 種別コード 21 総合振込
    ("code_kind", 1, "N"),  # コード区分 0 (SJIS)
    ("remitter_code", 10, "N"),  # 振込依頼人コード
    ("remitter_name", 40, "C"),  # 振込依頼人名
    ("transfer_date", 4, "N"),  # 振込指定日 MMDD
    ("bank_code", 4, "N"),  # 仕向銀行番号
    ("bank_name", 15, "C"),
    ("branch_code", 3, "N"),  # 仕向支店番号
    ("branch_name", 15, "C"),
    ("account_type", 1, "N"),  # 預金種目 1 普通 2 当座
    ("account_number", 7, "N"),
    ("dummy", 17, "C"),
]
DATA = [
    ("data_kind", 1, "N"),  # 2
    ("bank_code", 4, "N"),  # 被仕向銀行番号
    ("bank_name", 15, "C"),
    ("branch_code", 3, "N"),
    ("branch_name", 15, "C"),
    ("clearing_house", 4, "N"),  # 手形交換所番号 0000
    ("account_type", 1, "N"),
    ("account_number", 7, "N"),
    ("holder_name", 30, "C"),  # 受取人名
    ("amount", 10, "N"),  # 振込金額
    ("new_code", 1, "N"),  # 新規コード 0
    ("customer_code", 20, "C"),  # 顧客コード1+2, left blank
    ("transfer_kind", 1, "N"),  # 振込指定区分 7 (テレ振込)
    ("mark", 1, "C"),  # 識別表示: space
    ("dummy", 7, "C"),
]
TRAILER = [
    ("data_kind", 1, "N"),  # 8
    ("count", 6, "N"),  # 合計件数
    ("total", 12, "N"),  # 合計金額
    ("dummy", 101, "C"),
]
END = [("data_kind", 1, "N"), ("dummy", 119, "C")]  # 9
for _layout in (HEADER, DATA, TRAILER, END):
    assert sum(length for _, length, _ in _layout) == RECORD_LEN


@dataclass(frozen=True)
class Account:
    bank_code: str
    bank_name: str  # any form to_zengin accepts (full-width kana from zengin-code, half-width)
    branch_code: str
    branch_name: str
    account_type: str  # 1 普通, 2 当座
    account_number: str


@dataclass(frozen=True)
class Remitter:
    code: str  # 振込依頼人コード, 10 digits
    name: str
    account: Account


@dataclass(frozen=True)
class Transfer:
    account: Account
    holder_name: str
    amount: int
    merchant_id: str = ""  # for error messages only


def _record(layout: list[tuple[str, int, str]], values: dict[str, object], where: str) -> bytes:
    out = bytearray()
    for name, length, kind in layout:
        value = values.get(name, "")
        if kind == "N":
            text = str(value)
            if not ascii_digits(text) or len(text) > length:
                raise ValueError(f"{where}: {name} {text!r} is not a number of at most {length} digits")
            out += text.zfill(length).encode("ascii")
        else:
            try:
                text = to_zengin(str(value))
            except ValueError as e:
                raise ValueError(f"{where}: {name}: {e}") from None
            out += text.encode("cp932")[:length].ljust(length, b" ")
    assert len(out) == RECORD_LEN
    return bytes(out)


def write_payout_file(remitter: Remitter, transfer_date: date, transfers: list[Transfer]) -> bytes:
    """The bytes of one 総合振込 file: header, one data record per transfer, trailer, end.

    Raises ValueError naming the record and field when a value does not fit the format, a transfer
    is not positive, or it goes to bank 9900.
    """
    ra = remitter.account
    records = [
        _record(
            HEADER,
            dict(data_kind=1, type_code=21, code_kind=0, remitter_code=remitter.code,
                 remitter_name=remitter.name, transfer_date=transfer_date.strftime("%m%d"),
                 bank_code=ra.bank_code, bank_name=ra.bank_name, branch_code=ra.branch_code,
                 branch_name=ra.branch_name, account_type=ra.account_type,
                 account_number=ra.account_number),
            "header",
        )
    ]
    for i, t in enumerate(transfers, start=1):
        where = f"transfer {i} ({t.merchant_id})" if t.merchant_id else f"transfer {i}"
        a = t.account
        if a.bank_code == NEVER_PAID_BANK:
            raise ValueError(f"{where}: bank {NEVER_PAID_BANK} is never paid")
        if not isinstance(t.amount, int) or t.amount <= 0:
            raise ValueError(f"{where}: amount {t.amount!r} is not a positive number of yen")
        records.append(
            _record(
                DATA,
                dict(data_kind=2, bank_code=a.bank_code, bank_name=a.bank_name,
                     branch_code=a.branch_code, branch_name=a.branch_name, clearing_house="0000",
                     account_type=a.account_type, account_number=a.account_number,
                     holder_name=t.holder_name, amount=t.amount, new_code=0, transfer_kind=7),
                where,
            )
        )
    total = sum(t.amount for t in transfers)
    records.append(_record(TRAILER, dict(data_kind=8, count=len(transfers), total=total), "trailer"))
    records.append(_record(END, dict(data_kind=9), "end"))
    return b"\r\n".join(records)


def read_trailer(content: bytes) -> tuple[int, int]:
    """(count, total) of a payout file's trailer, read back from its bytes."""
    records = content.split(b"\r\n")
    trailer = next(r for r in records if r[:1] == b"8")
    return int(trailer[1:7]), int(trailer[7:19])


def bank_names(bank_code: str, branch_code: str) -> tuple[str, str]:
    """(bank kana, branch kana) from the zengin-code data set; ValueError when unknown."""
    from zengin_code import Bank

    bank = Bank.all.get(bank_code)
    if bank is None:
        raise ValueError(f"bank code {bank_code} is not in the Zengin bank-code data set")
    branch = bank.branches.get(branch_code)
    if branch is None:
        raise ValueError(f"branch code {branch_code} of bank {bank_code} is not in the Zengin data set")
    return bank.kana, branch.kana
