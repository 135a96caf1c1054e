"""Backups (issue 12): taken online with the writers waiting, checked, restored into a fresh folder
equal to the original; an upgrade rolled back by restoring the backup of before."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tasks.backup import backup, restore, table_counts
from tasks.clock import JST
from tasks.errors import KonbiniError
from tasks.ingest import pull
from tasks.master import load_master
from tasks.warehouse import Warehouse, WarehouseTooNew, migrate
from tests.conftest import SAMPLES

KONBINI = str(Path(sys.executable).parent / "konbini")
AT = datetime(2026, 11, 20, 9, 0, tzinfo=JST)


@pytest.fixture
def loaded(settings, warehouse, sample_inbox) -> Warehouse:
    """The spec's sample master data and inbox ingested: files (with their bytes), orders, events."""
    load_master(warehouse, SAMPLES / "master", datetime(2026, 11, 1, tzinfo=JST))
    pull(warehouse, AT, settings, retry_delays=())
    return warehouse


def _contents(path: Path) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: sorted(map(repr, con.execute(f'select * from "{t}"').fetchall()))
                for t in table_counts(con)}
    finally:
        con.close()


def test_a_backup_restored_into_a_fresh_folder_equals_the_original(loaded, tmp_path, data_dir):
    taken = backup(loaded, tmp_path / "backups", AT)
    assert taken.tables["inbound_files"] > 0 and taken.tables["orders"] > 0
    manifest = json.loads(taken.manifest.read_text())
    assert manifest["tables"] == taken.tables and manifest["sha256"] == taken.sha256

    fresh = Warehouse(tmp_path / "elsewhere" / "warehouse.duckdb")
    assert restore(fresh, taken.path, AT) is None
    assert _contents(fresh.path) == _contents(loaded.path)


def test_restore_refuses_a_damaged_backup_and_keeps_what_it_replaces(loaded, tmp_path):
    taken = backup(loaded, tmp_path / "b", AT)
    damaged = tmp_path / "damaged.duckdb"
    damaged.write_bytes(taken.path.read_bytes()[:-1] + b"x")
    damaged.with_name(damaged.name + ".json").write_text(taken.manifest.read_text())
    with pytest.raises(KonbiniError, match="damaged"):
        restore(loaded, damaged, AT, replace=True)
    with pytest.raises(KonbiniError, match="--replace"):
        restore(loaded, taken.path, AT)
    before = _contents(loaded.path)
    kept = restore(loaded, taken.path, AT, replace=True)
    assert kept is not None and _contents(kept) == before


def test_the_backup_and_restore_commands(loaded, tmp_path, data_dir):
    done = subprocess.run([KONBINI, "backup", "--to", str(tmp_path / "b")], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    (made,) = (tmp_path / "b").glob("warehouse-*.duckdb")
    assert str(made) in done.stdout.replace("\n", "")
    again = subprocess.run([KONBINI, "restore", str(made)], capture_output=True, text=True, cwd=tmp_path,
                           timeout=120)
    assert again.returncode == 2 and "--replace" in again.stderr and "Traceback" not in again.stderr
    restored = subprocess.run([KONBINI, "restore", str(made), "--replace"], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)
    assert restored.returncode == 0, restored.stderr
    assert (data_dir / "analytics.duckdb").exists()


def test_an_upgrade_is_rolled_back_by_restoring_the_backup_of_before(loaded, tmp_path):
    """Upgrade story (docs/operations.md): back up, upgrade (a newer konbini applies its migration), and
    if the new version must be abandoned, the old code refuses the upgraded file and the backup of
    before restores it exactly."""
    taken = backup(loaded, tmp_path / "b", AT)
    before = _contents(loaded.path)

    con = duckdb.connect(str(loaded.path))  # what a newer version's migrate() leaves behind
    con.execute("create table upgrade_probe (x integer); insert into upgrade_probe values (1)")
    con.execute("insert into schema_migrations values (9999, '9999_upgrade.sql', localtimestamp)")
    con.close()

    with pytest.raises(WarehouseTooNew, match="9999_upgrade.sql"):
        with loaded.write():
            pass
    restore(loaded, taken.path, AT, replace=True)
    with loaded.write() as con:
        assert migrate(con) == []
    assert _contents(loaded.path) == before
