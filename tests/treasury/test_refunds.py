"""Refunds paid to customers: the master's account checks, one Zengin file per transfer day under
out/refunds (the payouts' writer and rules), bank details kept out of the analysts' copy."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tasks.errors import KonbiniError
from tasks.settle.payouts import our_remitter
from tasks.settle.zengin import read_trailer
from tasks.treasury.refunds import CustomerAccount, pay, write_refund_files
from tests.treasury.conftest import at

GOOD = CustomerAccount("0005", "001", "1", "2345678", "ﾔﾏﾀﾞ ﾀﾛｳ")


def refund_owed(book, amount=3000, *, resolve=True, confirmed=True, merchant="M000001", paid="2026-11-10",
                order_id=None) -> str:
    """A payment resolved `refund` (the reconciliation's tables, as the settlement tests write them)."""
    paid_date = date.fromisoformat(paid) if isinstance(paid, str) else paid
    confirmed_at = datetime.combine(paid_date, datetime.min.time()).replace(hour=6) + timedelta(days=2)
    pid = book.payment(merchant, "seven", amount, paid_date, confirmed_at if confirmed else None,
                       refunded=resolve, held=None if resolve else "DUPLICATE_PAYMENT", order_id=order_id)
    ex = "EX" + hashlib.md5(pid.encode()).hexdigest()[:12]
    with book.warehouse.write() as con:
        con.execute("insert into exceptions (exception_id, code, holds, payment_id, merchant_id, order_id,"
                    " chain, amount, raised_at, state, resolution, as_of)"
                    " values (?, 'DUPLICATE_PAYMENT', true, ?, ?, 'o1', 'seven', ?,"
                    " '2026-11-12 06:00', ?, ?, '2026-11-13')",
                    [ex, pid, merchant, amount, "resolved" if resolve else "open",
                     "refund" if resolve else None])
        if resolve:
            con.execute("insert into exception_resolutions values (?, 'DUPLICATE_PAYMENT', ?, 'refund',"
                        " 'dup', 'ops', '2026-11-13 09:00')", [ex, pid])
    return ex


def _pay(warehouse, settings, ex, account=GOOD, when="2026-11-20T10:00"):
    with warehouse.write() as con:
        r = pay(con, ex, account, settings, "ops", at(when))
    with warehouse.session() as con:
        write_refund_files(con, settings.out_dir)
    return r


def test_a_refund_file_per_day_passes_the_payout_files_checks(book, settings, warehouse):
    ex1, ex2 = refund_owed(book, 3000), refund_owed(book, 4500)
    r = _pay(warehouse, settings, ex1)
    # Friday 2026-11-20: the next bank business day is Tuesday 11-24 (11-23 is 勤労感謝の日)
    assert (r.amount, r.transfer_date) == (3000, date(2026, 11, 24))
    _pay(warehouse, settings, ex2, CustomerAccount("0001", "100", "2", "0000123", "スズキ ハナコ"),
         when="2026-11-20T15:00")
    path = settings.out_dir / "refunds" / "ZENGIN_REFUNDS_20261124.txt"
    content = path.read_bytes()
    records = content.split(b"\r\n")
    assert not content.endswith(b"\r\n") and all(len(x) == 120 for x in records)
    assert [x[:1] for x in records] == [b"1", b"2", b"2", b"8", b"9"]
    header = records[0].decode("cp932")
    ours = our_remitter(settings)
    assert header[1:4] == "210" and header[4:14] == ours.code and header[54:58] == "1124"
    assert read_trailer(content) == (2, 7500)
    line = ("2" + "0005" + "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ  " + "001" + "ﾎﾝﾃﾝ".ljust(15) + "0000" + "1" + "2345678"
            + "ﾔﾏﾀﾞ ﾀﾛｳ".ljust(30) + "0000003000" + "0" + " " * 20 + "7" + " " + " " * 7)
    assert records[1] == line.encode("cp932")
    assert records[2].decode("cp932")[50:80].rstrip() == "ｽｽﾞｷ ﾊﾅｺ"  # full-width converted, small kana too
    assert book.sql("select state, transfer_date from v_refunds order by amount") == [
        ("instructed", date(2026, 11, 24)), ("instructed", date(2026, 11, 24))]
    assert book.sql("select max(version) from refund_files") == [(2,)]
    # the analysts' copy keeps the facts without the customer's account, name or file bytes
    analytics = warehouse.publish()
    with duckdb.connect(str(analytics), read_only=True) as con:
        assert con.execute("select distinct bank_code || account_number || holder_name from refund_payments"
                           ).fetchall() == [("",)]
        assert con.execute("select distinct octet_length(content) from refund_files").fetchall() == [(0,)]
        columns = {c for (c,) in con.execute("select column_name from duckdb_columns()"
                                             " where table_name = 'v_refunds'").fetchall()}
    assert not columns & {"bank_code", "branch_code", "account_number", "holder_name"}


@pytest.mark.parametrize(("account", "message"), [
    (CustomerAccount("9900", "019", "1", "1234567", "ﾔﾏﾀﾞ"), "--bank '9900': bank 9900 (ゆうちょ銀行"),
    (CustomerAccount("0002", "001", "1", "1234567", "ﾔﾏﾀﾞ"), "--bank '0002': unknown bank"),
    (CustomerAccount("0005", "999", "1", "1234567", "ﾔﾏﾀﾞ"), "--branch '999': unknown branch of bank 0005"),
    (CustomerAccount("5", "001", "1", "1234567", "ﾔﾏﾀﾞ"), "--bank '5': must be 4 digits"),
    (CustomerAccount("0005", "001", "3", "1234567", "ﾔﾏﾀﾞ"), "--type '3': must be 1"),
    (CustomerAccount("0005", "001", "1", "123456", "ﾔﾏﾀﾞ"), "--account: must be 7 digits"),
    (CustomerAccount("0005", "001", "1", "1234567", "山田太郎"), "--name: "),
    (CustomerAccount("0005", "001", "1", "1234567", "ｱ" * 31),
     "--name: is 31 characters in half-width kana; the Zengin holder name holds at most 30"),
])
def test_the_account_gets_the_master_datas_checks(book, settings, warehouse, account, message):
    ex = refund_owed(book)
    with pytest.raises(KonbiniError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _pay(warehouse, settings, ex, account)
    assert book.sql("select count(*) from refund_payments") == [(0,)]
    assert not (settings.out_dir / "refunds").exists()


def test_only_a_refund_owed_is_paid_once(book, settings, warehouse):
    open_ = refund_owed(book, resolve=False)
    with pytest.raises(KonbiniError, match=f"exception {open_}: not resolved `refund`"):
        _pay(warehouse, settings, open_)
    with pytest.raises(KonbiniError, match="no such exception"):
        _pay(warehouse, settings, "EX000000000000")
    unconfirmed = refund_owed(book, 700, confirmed=False)
    with pytest.raises(KonbiniError, match="has no 02"):
        _pay(warehouse, settings, unconfirmed)
    ex = refund_owed(book, 900)
    _pay(warehouse, settings, ex)
    with pytest.raises(KonbiniError, match="already instructed for 2026-11-24"):
        _pay(warehouse, settings, ex)
    assert book.sql("select count(*), sum(amount) from refund_payments") == [(1, 900)]


def test_the_commands_pay_a_refund_and_render_an_invoice_without_printing_bank_details(book, settings,
                                                                                        warehouse, data_dir):
    """`konbini refunds pay` and `konbini receivables invoice` as an operator types them."""
    import os
    import subprocess
    import sys

    ex = refund_owed(book, 4200)
    with warehouse.write() as con:
        con.execute("update merchants set status = 'terminated' where merchant_id = 'M000003'")
    book.payment("M000003", "daily", 1000, "2026-11-02", datetime(2026, 11, 6, 6))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KONBINI_", "PREFECT_API_URL"))}
    env.update(KONBINI_DATA_DIR=str(data_dir), NO_COLOR="1", COLUMNS="200",
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))

    def konbini(*args):
        return subprocess.run([sys.executable, "-c", "from flows.cli import main; main()", *args],
                              capture_output=True, text=True, env=env, timeout=300)

    paid = konbini("refunds", "pay", ex, "--bank", "0005", "--branch", "001", "--type", "1",
                   "--account", "2345678", "--name", "ヤマダ タロウ", "--as-of", "2026-11-20T10:00")
    assert paid.returncode == 0, paid.stderr
    assert f"refund of {ex}: 4,200 yen, transferred on 2026-11-24" in paid.stdout
    assert "2345678" not in paid.stdout + paid.stderr and "ﾔﾏﾀﾞ" not in paid.stdout + paid.stderr
    refund_file = settings.out_dir / "refunds" / "ZENGIN_REFUNDS_20261124.txt"
    assert read_trailer(refund_file.read_bytes()) == (1, 4200)
    assert konbini("settle", "--as-of", "2026-11-12T07:00", "--finalize").returncode == 0
    listed = konbini("receivables", "list", "--state", "open")
    assert "RC-M000003-20261101" in listed.stdout and "13,432" in listed.stdout
    invoice = konbini("receivables", "invoice", "RC-M000003-20261101")
    assert invoice.returncode == 0, invoice.stderr
    assert (settings.out_dir / "reports" / "M000003" / "invoice_RC-M000003-20261101.pdf").is_file()
