"""Where a field must be digits, full-width digits (１２３, what a Japanese IME types) are rejected with
the field's own reason: every check says [0-9], never `\\d`, which Polars and Python's `re` take
to mean any Unicode digit."""

from __future__ import annotations

import io
import shutil
import tokenize
from datetime import datetime
from pathlib import Path

import pytest

from tasks.clock import JST
from tasks.errors import KonbiniError
from tasks.inbox import InboundFile, parse_name
from tasks.lookups import require_merchant
from tasks.master import load_master, validate_master
from tasks.orders import ingest_orders_file
from tasks.treasury.returns import parse_bank_record
from tasks.warehouse import transaction

REPO = Path(__file__).resolve().parents[2]
FULL = str.maketrans("0123456789", "０１２３４５６７８９")
AS_OF = datetime(2026, 11, 2, 11, 0, tzinfo=JST)
GOOD = {"merchant_id": "M000001", "site_id": "S000001", "order_id": "T-1", "chain": "seven",
        "payment_reference": "1000000000101", "amount": "3980", "tax_mode": "taxable", "tax_amount": "361",
        "ordered_at": "2026-11-02T10:00:00+09:00", "due_date": "2026-11-09",
        "customer_name_kana": "ヤマダ　タロウ", "customer_phone": "0312345678",
        "customer_email": "taro@example.jp"}
# each field with one full-width digit in it, and the reason it must get
ORDER_FIELDS = {
    "merchant_id": "M followed by 6 digits",
    "site_id": "S followed by 6 digits",
    "payment_reference": "digits only",
    "amount": "integer number of yen",
    "tax_amount": "integer number of yen",
    "ordered_at": "ISO 8601",
    "due_date": "real date YYYY-MM-DD",
    "customer_phone": "10 or 11 digits",
}


def _one_full_width(text: str) -> str:
    """`text` with its last ASCII digit made full-width."""
    i = max(i for i, c in enumerate(text) if c.isascii() and c.isdigit())
    return text[:i] + text[i].translate(FULL) + text[i + 1:]


def test_order_fields_reject_full_width_digits(warehouse, sample_master, settings):
    header = ",".join(GOOD)
    lines = [",".join(_one_full_width(v) if k == field else v for k, v in GOOD.items()).replace(
        "T-1", f"T-{n}") for n, field in enumerate(ORDER_FIELDS, start=1)]
    f = InboundFile(parse_name("orders", "ORDERS_20261102103000_000001.csv"),
                    ("\n".join([header, *lines]) + "\n").encode("utf-8"))
    with warehouse.session() as con:
        load_master(con, sample_master, AS_OF)
        with transaction(con):
            out = ingest_orders_file(con, f, AS_OF, settings)
        rows = con.execute("select line_no, field, reason from rejections where file_id = ?"
                           " order by line_no", [out.file_id]).fetchall()
    assert out.counts["orders"] == 0
    assert [(line, field) for line, field, _ in rows] == [
        (n, field) for n, field in enumerate(ORDER_FIELDS, start=2)]
    for (_, field, reason), words in zip(rows, ORDER_FIELDS.values(), strict=True):
        assert words in reason, (field, reason)


@pytest.mark.parametrize(("old", "field", "words"), [
    (",0009,123,", "bank_code", "4 digits"),
    (",0009,123,", "branch_code", "3 digits"),
    ("7654321", "account_number", "7 digits"),
])
def test_master_bank_fields_reject_full_width_digits(sample_master, tmp_path, old, field, words):
    d = tmp_path / "master"
    shutil.copytree(sample_master, d)
    merchants = d / "merchants.csv"
    parts = old.strip(",").split(",")
    which = {"bank_code": 0, "branch_code": 1, "account_number": 0}[field]
    parts[which] = _one_full_width(parts[which])
    new = old.replace(old.strip(","), ",".join(parts))
    merchants.write_text(merchants.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    frames, reasons = validate_master(d)
    assert frames == {}
    assert [(r.file, r.field) for r in reasons] == [("merchants.csv", field)], [str(r) for r in reasons]
    assert words in reasons[0].reason


def test_command_arguments_reject_full_width_digits(warehouse, sample_master):
    load_master(warehouse, sample_master, AS_OF)
    with warehouse.read() as con, pytest.raises(KonbiniError, match="not a merchant id"):
        require_merchant(con, "M00000１", "--merchant")
    with pytest.raises(KonbiniError, match="勘定日/照会番号"):
        parse_bank_record("2026-11-17/00012３")


def test_no_check_says_backslash_d():
    """`\\d` in any string of schemas/ or tasks/ (comments may explain why it is not used)."""
    found = []
    for path in sorted([*(REPO / "schemas").rglob("*.py"), *(REPO / "tasks").rglob("*.py")]):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        found += [f"{path.relative_to(REPO)}:{t.start[0]}" for t in tokens
                  if t.type == tokenize.STRING and "\\d" in t.string]
    assert not found, f"use [0-9], not \\d (it takes full-width digits): {', '.join(found)}"
