"""Returned payouts: recorded against the bank record that brought them back, waiting until the
merchant's account changes, then paid again on a line of their own in the next run's payout file."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tasks.errors import KonbiniError
from tasks.settle.payouts import our_remitter
from tasks.settle.zengin import Account, Transfer, bank_names, read_trailer, write_payout_file
from tasks.treasury.returns import record_return
from tests.settle.conftest import MERCHANTS, settle
from tests.treasury.conftest import at

NEW_ACCOUNT = (6, "P1", "0005", "001", "1", "7777777", "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ")


def _first_payout(book, settings):
    """M000003 paid on 2026-11-16 (its 11-01..05 settlement); the transfer's amount."""
    book.payment("M000003", "daily", 40000, "2026-11-04", datetime(2026, 11, 9, 6))
    settle(settings, at("2026-11-12T07:00"), finalize=True)
    [(amount,)] = book.sql("select amount from payout_transfers where merchant_id = 'M000003'")
    return amount


def _return(warehouse, record, when="2026-11-18T09:00", **kw):
    args = dict(payout_date=date(2026, 11, 16), merchant_id="M000003", reason="口座なし",
                bank_record=record, by="ops", at=at(when))
    args.update(kw)
    with warehouse.write() as con:
        return record_return(con, **args)


def _data_records(content: bytes) -> list[bytes]:
    return [r for r in content.split(b"\r\n") if r[:1] == b"2"]


def test_returned_payout_is_paid_again_to_the_new_account_and_not_before(book, bank, settings, warehouse):
    amount = _first_payout(book, settings)
    record = bank.receive("2026-11-17", amount, "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ")
    r = _return(warehouse, record)
    assert (r.return_id, r.amount) == ("RP-M000003-20261116-1", amount)
    assert book.sql("select claimed_by, claim_id, decided_by from bank_transfer_claims") == [
        ("returned_payout", r.return_id, "ops")]
    # the next run, account unchanged: the money waits (not in the file)
    book.payment("M000003", "daily", 30000, "2026-11-08", datetime(2026, 11, 13, 6))
    settle(settings, at("2026-11-18T07:00"), finalize=True)
    first = (settings.out_dir / "payouts" / "ZENGIN_20261120.txt").read_bytes()
    assert read_trailer(first)[0] == 1
    assert book.sql("select state from v_returned_payouts") == [("waiting",)]
    # the merchant gives a new account: the next run pays it again, on its own line, to that account
    book.master(merchants={**MERCHANTS, "M000003": NEW_ACCOUNT})
    book.payment("M000003", "daily", 50000, "2026-11-12", datetime(2026, 11, 16, 6))
    result = settle(settings, at("2026-11-21T07:00"), finalize=True)
    assert result.check_ok, result.failures
    content = (settings.out_dir / "payouts" / "ZENGIN_20261125.txt").read_bytes()
    [(regular,)] = book.sql("select amount from payout_transfers where payout_date = '2026-11-25'")
    bank_kana, branch_kana = bank_names("0005", "001")
    new = Account("0005", bank_kana, "001", branch_kana, "1", "7777777")
    expected = write_payout_file(our_remitter(settings), date(2026, 11, 25),
                                 [Transfer(new, "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ", regular), Transfer(new, "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ", amount)])
    assert content == expected
    # the repayment line, byte by byte (120 bytes, Zengin layout)
    line = ("2" + "0005" + "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ  " + "001" + "ﾎﾝﾃﾝ".ljust(15) + "0000" + "1" + "7777777"
            + "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ".ljust(30) + f"{amount:010d}" + "0" + " " * 20 + "7" + " " + " " * 7)
    assert _data_records(content)[1] == line.encode("cp932")
    assert read_trailer(content) == (2, regular + amount)
    assert book.sql("select state, repaid_payout_date from v_returned_payouts") == [
        ("repaid", date(2026, 11, 25))]
    assert result.treasury["returned_waiting"] == amount  # measured before this run's writes
    # never paid twice: a later run has no repayment line
    book.payment("M000003", "daily", 20000, "2026-11-17", datetime(2026, 11, 20, 6))
    settle(settings, at("2026-11-28T07:00"), finalize=True)
    later = book.sql("select file_name, transfers from payout_files where payout_date > '2026-11-25'")
    assert later and all(n == 1 for _, n in later)


def test_the_bank_record_must_match(book, bank, settings, warehouse):
    amount = _first_payout(book, settings)
    other = bank.receive("2026-11-17", amount + 1, "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ")
    with pytest.raises(KonbiniError, match=f"{amount + 1:,} yen, but the transfer to M000003 on 2026-11-16"):
        _return(warehouse, other)
    with pytest.raises(KonbiniError, match="no such received transfer"):
        _return(warehouse, "2026-11-17/999999")
    with pytest.raises(KonbiniError, match="is not 勘定日/照会番号"):
        _return(warehouse, "17-11-2026/1")
    early = bank.receive("2026-11-13", amount, "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ")
    with pytest.raises(KonbiniError, match="before the payout date"):
        _return(warehouse, early)
    good = bank.receive("2026-11-17", amount, "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ")
    with pytest.raises(KonbiniError, match="no payout transfer to return"):
        _return(warehouse, good, merchant_id="M000001")
    _return(warehouse, good)
    with pytest.raises(KonbiniError, match="already matched to returned_payout RP-M000003-20261116-1"):
        _return(warehouse, good)
    again = bank.receive("2026-11-18", amount, "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ")
    with pytest.raises(KonbiniError, match="already recorded as returned"):
        _return(warehouse, again)
    assert book.sql("select count(*) from returned_payouts") == [(1,)]
    assert book.sql("select count(*) from bank_transfer_claims") == [(1,)]
