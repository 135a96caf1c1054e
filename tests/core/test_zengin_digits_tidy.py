"""The Zengin writer's numeric fields take ASCII digits only: a full-width １ or a superscript ²
(both `str.isdigit()`) is a ValueError naming the record and the field, never a UnicodeEncodeError
from deep inside the writer, and never a file."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from tasks.digits import ascii_digits
from tasks.settle.zengin import Account, Remitter, Transfer, write_payout_file

OURS = Account("0009", "ﾐﾂｲｽﾐﾄﾓ", "825", "ｱｶｻｶ", "1", "9876543")
REMITTER = Remitter(code="1234560789", name="ｽﾗﾋﾞ", account=OURS)
THEIRS = Account("0137", "ﾄｳｷﾖｳﾄﾐﾝ", "031", "ｼﾌﾞﾔ", "1", "1231990")


@pytest.mark.parametrize("value", ["１２３１９９０", "123199²", "١٢٣"])
@pytest.mark.parametrize("field", ["bank_code", "branch_code", "account_type", "account_number"])
def test_a_transfer_s_non_ascii_digits_are_refused_naming_the_field(field, value):
    account = replace(THEIRS, **{field: value})
    with pytest.raises(ValueError, match=rf"^transfer 1 \(M000001\): {field} .* is not a number of at most"):
        write_payout_file(REMITTER, date(2026, 11, 25), [Transfer(account, "ﾃｽﾄ", 100, "M000001")])


@pytest.mark.parametrize("field", ["bank_code", "account_number"])
def test_our_account_s_non_ascii_digits_are_refused_in_the_header(field):
    remitter = replace(REMITTER, account=replace(OURS, **{field: "０００９"}))
    with pytest.raises(ValueError, match=rf"^header: {field} '０００９' is not a number"):
        write_payout_file(remitter, date(2026, 11, 25), [])
    with pytest.raises(ValueError, match=r"^header: remitter_code"):
        write_payout_file(replace(REMITTER, code="１２３４５６０７８９"), date(2026, 11, 25), [])


def test_ascii_digits():
    assert ascii_digits("0123456789")
    assert not any(ascii_digits(t) for t in ("", "１", "²", "١", "12a", " 1", "-1"))
