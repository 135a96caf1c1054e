"""Costs a replay paid on every call although the answer could not have changed: the migrations
checked by every session while the warehouse is kept open, the settings rebuilt by every call."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from tasks.settings import SettingsError, get_settings
from tasks.warehouse import Warehouse, WarehouseTooNew, kept_open


def _newer_migration(con) -> None:
    con.execute("insert into schema_migrations values (9999, '9999_from_the_future.sql', localtimestamp)")


def test_sessions_check_migrations_once_while_kept_open_and_every_time_otherwise(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.session() as con:  # migrated
        _newer_migration(con)
    with pytest.raises(WarehouseTooNew):  # not kept open: every session checks
        with wh.session():
            pass
    with wh.exclusive() as con:
        con.execute("delete from schema_migrations where version = 9999")
    with kept_open(wh.path, {"fsync_mode": "NONE"}):
        with wh.session() as con:  # the first session while kept open checks …
            _newer_migration(con)
        with wh.session() as con:  # … the next ones do not: nothing else can change the schema now
            newer = "select count(*) from schema_migrations where version = 9999"
            assert con.execute(newer).fetchone() == (1,)
    with pytest.raises(WarehouseTooNew):  # closed again: checked again
        with wh.session():
            pass
    with kept_open(wh.path), pytest.raises(WarehouseTooNew):  # kept open anew: its first session checks
        with wh.session():
            pass


def test_settings_are_read_again_when_the_environment_or_the_toml_file_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KONBINI_CONFIG", raising=False)
    monkeypatch.setenv("KONBINI_DATA_DIR", str(tmp_path / "a"))
    first = get_settings()
    assert get_settings() is first  # nothing changed: the same object
    with pytest.raises(ValidationError):  # and nobody can change it under the others
        first.company_name = "x"
    monkeypatch.setenv("KONBINI_DATA_DIR", str(tmp_path / "b"))
    assert get_settings().data_dir == tmp_path / "b"
    monkeypatch.setenv("konbini_company_name", "小文字の変数")  # any case, as pydantic-settings reads it
    assert get_settings().company_name == "小文字の変数"
    monkeypatch.delenv("konbini_company_name")
    toml = tmp_path / "konbini.toml"
    toml.write_text('company_name = "設定ファイル"\n', encoding="utf-8")
    assert get_settings().company_name == "設定ファイル"
    toml.write_text('company_name = "書き換えた設定"\n', encoding="utf-8")
    assert get_settings().company_name == "書き換えた設定"
    toml.write_text('[payout_account]\nbank_code = "１２３４"\n', encoding="utf-8")
    for _ in range(2):  # a bad file is refused at every call, never replaced by the last good one
        with pytest.raises(SettingsError, match="bank_code"):
            get_settings()
    os.remove(toml)
    assert get_settings().company_name == "コンビニ収納代行株式会社"
