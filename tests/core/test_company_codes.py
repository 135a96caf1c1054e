"""Our company codes are checked when the settings load, in the form feeds.md gives them: SEJ's
収納企業コード 6 digits, FamilyMart's 企業コード 5 digits, the GS1-128 barcode's 請求書発行企業コード
6 digits, ASCII only (never a full-width １). One line names the setting, its value, where it came
from and what is wrong; a `konbini` command exits 2 with that line and does nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tasks.settings import Settings, SettingsError

REPO = Path(__file__).resolve().parents[2]
KONBINI = Path("/work/main/.venv/bin/konbini")

BAD = [  # (setting, value, what the line says)
    ("sej_company_code", "91234", "must be 6 ASCII digits"),
    ("sej_company_code", "9123456", "must be 6 ASCII digits"),
    ("sej_company_code", "９１２３４５", "must be 6 ASCII digits"),
    ("sej_company_code", "91234a", "must be 6 ASCII digits"),
    ("sej_company_code", "", "must be 6 ASCII digits"),
    ("fm_company_code", "5432", "must be 5 ASCII digits"),
    ("fm_company_code", "543210", "must be 5 ASCII digits"),
    ("fm_company_code", "5432１", "must be 5 ASCII digits"),
    ("fm_company_code", " 5432", "must be 5 ASCII digits"),
    ("gs1_company_code", "91234", "must be 6 ASCII digits"),
    ("gs1_company_code", "91234²", "must be 6 ASCII digits"),
    ("gs1_company_code", "912345\n", "must be 6 ASCII digits"),
]


@pytest.mark.parametrize(("field", "value", "words"), BAD)
def test_a_wrong_company_code_from_the_environment_is_one_line_naming_it(data_dir, monkeypatch, field,
                                                                          value, words):
    var = f"KONBINI_{field.upper()}"
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as e:
        Settings()
    line = str(e.value)
    assert "\n" not in line.replace(repr(value), ""), line
    assert f"setting {field} {value!r} (environment variable {var}): {words} (0-9)" == line


def test_a_wrong_company_code_given_or_in_the_toml_file_names_where(data_dir, monkeypatch, tmp_path):
    given = r"setting fm_company_code '１２３４５' \(given to Settings\(\)\): must be 5 ASCII digits"
    with pytest.raises(SettingsError, match=given):
        Settings(fm_company_code="１２３４５")
    toml = tmp_path / "ours.toml"
    toml.write_text('sej_company_code = "12345"\ngs1_company_code = "1234567"\n', encoding="utf-8")
    monkeypatch.setenv("KONBINI_CONFIG", str(toml))
    with pytest.raises(SettingsError) as e:
        Settings()
    line = str(e.value)
    assert "\n" not in line
    assert f"setting sej_company_code '12345' ({toml}): must be 6 ASCII digits (0-9)" in line
    assert f"setting gs1_company_code '1234567' ({toml}): must be 6 ASCII digits (0-9)" in line


def test_good_company_codes_load(data_dir, monkeypatch):
    assert (Settings().sej_company_code, Settings().fm_company_code, Settings().gs1_company_code) == (
        "912345", "54321", "912345")  # the defaults, as the samples use them
    monkeypatch.setenv("KONBINI_SEJ_COMPANY_CODE", "000001")
    monkeypatch.setenv("KONBINI_FM_COMPANY_CODE", "00009")
    got = Settings(gs1_company_code="490000")
    assert (got.sej_company_code, got.fm_company_code, got.gs1_company_code) == ("000001", "00009", "490000")


def test_a_command_with_a_wrong_company_code_exits_2_with_one_line_and_does_nothing(tmp_path):
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(REPO), "KONBINI_DATA_DIR": str(data),
           "KONBINI_FM_COMPANY_CODE": "５４３２１"}
    env.pop("KONBINI_CONFIG", None)
    done = subprocess.run([str(KONBINI), "api-keys", "list"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "setting fm_company_code '５４３２１' (environment variable KONBINI_FM_COMPANY_CODE)" in lines[0]
    assert "must be 5 ASCII digits (0-9)" in lines[0]
    assert not data.exists()
