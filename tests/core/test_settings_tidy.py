"""Our own account's Zengin fields (PayoutAccount) are checked when the settings load: ASCII digits
of the right length (never full-width １), account type 1 or 2, the remitter name in the Zengin set
(half-width kana), 1 to 40 characters. One line names the field, its value and where it came from;
a `konbini` command exits 2 with that line and does nothing (for a company code too)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tasks.settings import Settings, SettingsError

REPO = Path(__file__).resolve().parents[2]
KONBINI = Path("/work/main/.venv/bin/konbini")

BAD = [  # (field, value, what the line says)
    ("bank_code", "１２３４", "must be 4 ASCII digits"),
    ("bank_code", "123", "must be 4 ASCII digits"),
    ("branch_code", "12a", "must be 3 ASCII digits"),
    ("branch_code", "１００", "must be 3 ASCII digits"),
    ("account_number", "123456７", "must be 7 ASCII digits"),
    ("account_number", "12345678", "must be 7 ASCII digits"),
    ("remitter_code", "123456789²", "must be 10 ASCII digits"),
    ("account_type", "3", "'1' or '2'"),
    ("account_type", "１", "'1' or '2'"),
    ("remitter_name", "コンビニシュウノウ", "character 'コ' is not half-width kana"),
    ("remitter_name", "ｺﾝﾋﾞﾆ株式会社", "character '株' is not half-width kana"),
    ("remitter_name", "ｱ" * 41, "must be 1 to 40 characters, not 41"),
    ("remitter_name", "", "must be 1 to 40 characters, not 0"),
]


@pytest.mark.parametrize(("field", "value", "words"), BAD)
def test_a_wrong_field_from_the_environment_is_one_line_naming_it(data_dir, monkeypatch, field, value, words):
    var = f"KONBINI_PAYOUT_ACCOUNT__{field.upper()}"
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as e:
        Settings()
    line = str(e.value)
    assert "\n" not in line and words in line, line
    assert f"payout_account.{field} {value!r}" in line and f"environment variable {var}" in line


def test_a_wrong_field_in_the_toml_file_names_the_file(data_dir, monkeypatch, tmp_path):
    toml = tmp_path / "ours.toml"
    toml.write_text('[payout_account]\nbank_code = "０００１"\naccount_type = "4"\n', encoding="utf-8")
    monkeypatch.setenv("KONBINI_CONFIG", str(toml))
    with pytest.raises(SettingsError) as e:
        Settings()
    line = str(e.value)
    assert "\n" not in line
    assert f"payout_account.bank_code '０００１' ({toml}): must be 4 ASCII digits" in line
    assert f"payout_account.account_type '4' ({toml})" in line


def test_good_accounts_load(data_dir, monkeypatch):
    for field, value in [("bank_code", "0005"), ("branch_code", "001"), ("account_type", "2"),
                         ("account_number", "0000001"), ("remitter_code", "0123456789"),
                         ("remitter_name", "ｶ)ｺﾝﾋﾞﾆ ｼﾕｳﾉｳ-ﾀﾞｲｺｳ.(ｶ/ABC 123")]:
        monkeypatch.setenv(f"KONBINI_PAYOUT_ACCOUNT__{field.upper()}", value)
    acct = Settings().payout_account
    assert (acct.bank_code, acct.account_type, acct.remitter_name[:4]) == ("0005", "2", "ｶ)ｺﾝ")
    assert Settings(payout_account={"bank_code": "0009"}).payout_account.bank_code == "0009"


@pytest.mark.parametrize(("var", "value", "words"), [
    ("KONBINI_PAYOUT_ACCOUNT__ACCOUNT_NUMBER", "１２３４５６７",
     "payout_account.account_number '１２３４５６７'"
     " (environment variable KONBINI_PAYOUT_ACCOUNT__ACCOUNT_NUMBER): must be 7 ASCII digits"),
    ("KONBINI_FM_COMPANY_CODE", "５４３２１", "setting fm_company_code '５４３２１'"  # test_company_codes.py
     " (environment variable KONBINI_FM_COMPANY_CODE): must be 5 ASCII digits (0-9)"),
])
def test_a_command_with_a_wrong_setting_exits_2_with_one_line_and_does_nothing(tmp_path, var, value, words):
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(REPO), "KONBINI_DATA_DIR": str(data), var: value}
    env.pop("KONBINI_CONFIG", None)
    done = subprocess.run([str(KONBINI), "api-keys", "list"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert words in lines[0], lines[0]
    assert not data.exists()
