"""Our company codes are checked when the settings load, in the form feeds.md gives them: SEJ's
収納企業コード 6 digits, FamilyMart's 企業コード 5 digits, the GS1-128 barcode's 請求書発行企業コード
6 digits, ASCII only (never a full-width １). One line names the setting, its value, where it came
from and what is wrong; a `konbini` command exits 2 with that line and does nothing
(tests/core/test_settings_tidy.py runs one)."""

from __future__ import annotations

import pytest

from tasks.settings import Settings, SettingsError

DIGITS = {"sej_company_code": 6, "fm_company_code": 5, "gs1_company_code": 6}  # feeds.md
BAD = {  # values each setting must refuse
    "sej_company_code": ["91234", "9123456", "９１２３４５", "91234a", ""],
    "fm_company_code": ["5432", "543210", "5432１", " 5432"],
    "gs1_company_code": ["91234", "91234²", "912345\n"],
}


def refused(**given) -> str:
    """The one line the settings refuse with."""
    with pytest.raises(SettingsError) as e:
        Settings(**given)
    assert "\n" not in str(e.value), e.value  # a value's newline is shown escaped (repr)
    return str(e.value)


@pytest.mark.parametrize(("field", "value"), [(f, v) for f, values in BAD.items() for v in values])
def test_a_wrong_company_code_from_the_environment_is_one_line_naming_it(data_dir, monkeypatch, field, value):
    var = f"KONBINI_{field.upper()}"
    monkeypatch.setenv(var, value)
    assert refused() == (f"setting {field} {value!r} (environment variable {var}):"
                         f" must be {DIGITS[field]} ASCII digits (0-9)")


def test_a_wrong_company_code_given_or_in_the_toml_file_names_where(data_dir, monkeypatch, tmp_path):
    assert refused(fm_company_code="１２３４５") == (
        "setting fm_company_code '１２３４５' (given to Settings()): must be 5 ASCII digits (0-9)")
    toml = tmp_path / "ours.toml"
    toml.write_text('sej_company_code = "12345"\ngs1_company_code = "1234567"\n', encoding="utf-8")
    monkeypatch.setenv("KONBINI_CONFIG", str(toml))
    assert refused() == (f"setting sej_company_code '12345' ({toml}): must be 6 ASCII digits (0-9); "
                         f"setting gs1_company_code '1234567' ({toml}): must be 6 ASCII digits (0-9)")


def test_good_company_codes_load(data_dir, monkeypatch):
    assert (Settings().sej_company_code, Settings().fm_company_code, Settings().gs1_company_code) == (
        "912345", "54321", "912345")  # the defaults, as the samples use them
    monkeypatch.setenv("KONBINI_SEJ_COMPANY_CODE", "000001")
    monkeypatch.setenv("KONBINI_FM_COMPANY_CODE", "00009")
    got = Settings(gs1_company_code="490000")
    assert (got.sej_company_code, got.fm_company_code, got.gs1_company_code) == ("000001", "00009", "490000")
