from datetime import date

import pytest

from tasks.settle.zengin import Account, Remitter, Transfer, bank_names, read_trailer, write_payout_file

VECTORS = __import__("pathlib").Path(__file__).resolve().parents[3] / "shared" / "vectors" / "zengin"

# The inputs stated in vectors/zengin/README.md
REMITTER = Remitter(
    code="1234560789",
    name="スラビ",
    account=Account("0009", "ミツイスミトモ", "825", "アカサカ", "1", "9876543"),
)
TOKYO = Account("0137", "トウキョウトミン", "031", "シブヤ", "1", "1231990")
HOLDER = "テストー.カブシキガイシャ"


def test_empty_vector():
    assert write_payout_file(REMITTER, date(2016, 2, 25), []) == (VECTORS / "empty.txt").read_bytes()


def test_single_transaction_vector():
    out = write_payout_file(REMITTER, date(2016, 2, 25), [Transfer(TOKYO, HOLDER, 1_103_661)])
    assert out == (VECTORS / "single-transaction.txt").read_bytes()


def test_multi_transaction_vector():
    current = Account("0137", "トウキョウトミン", "031", "シブヤ", "2", "1231990")
    ufj = Account("0005", "ミツビシトウキョウUFJ", "024", "ギンザドオリ", "1", "2275535")
    out = write_payout_file(
        REMITTER,
        date(2016, 3, 12),
        [Transfer(current, HOLDER, 1_103_661), Transfer(ufj, "カ)ゼンギン", 599_300)],
    )
    assert out == (VECTORS / "multi-transaction.txt").read_bytes()
    assert read_trailer(out) == (2, 1_702_961)
    assert not out.endswith(b"\r\n") and all(len(r) == 120 for r in out.split(b"\r\n"))


def test_bank_9900_and_non_positive_amounts_are_refused():
    yucho = Account("9900", "ユウチヨ", "019", "ゼロイチキユウ", "1", "1234567")
    with pytest.raises(ValueError, match="transfer 1 \\(M000009\\): bank 9900 is never paid"):
        write_payout_file(REMITTER, date(2026, 11, 16), [Transfer(yucho, "ｶ)ﾃｽﾄ", 100, "M000009")])
    with pytest.raises(ValueError, match="not a positive number"):
        write_payout_file(REMITTER, date(2026, 11, 16), [Transfer(TOKYO, "ｶ)ﾃｽﾄ", 0)])


def test_text_outside_the_zengin_set_names_the_field():
    with pytest.raises(ValueError, match="transfer 1: holder_name: character '株'"):
        write_payout_file(REMITTER, date(2026, 11, 16), [Transfer(TOKYO, "株式会社", 1)])


def test_bank_names_come_from_zengin_code():
    bank, branch = bank_names("0005", "001")
    assert (bank, branch) == ("ミツビシユ－エフジエイ", "ホンテン")
    acct = Account("0005", bank, "001", branch, "1", "1234567")
    record = write_payout_file(REMITTER, date(2026, 12, 15), [Transfer(acct, "ｶ)ｻﾝﾌﾟﾙｼﾖｳﾃﾝ", 98_919)])
    data = record.split(b"\r\n")[1].decode("cp932")
    assert data[1:20] == "0005ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ  "
    with pytest.raises(ValueError, match="bank code 0002"):
        bank_names("0002", "001")
