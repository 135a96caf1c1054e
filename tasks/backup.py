"""Backup and restore of the warehouse: the only copy of received files, resolutions and finalized
settlements.

A backup is taken online: it holds the writers' lock (writers wait for it, saying so; analysts keep
reading `analytics.duckdb`), checkpoints the database so the file alone is complete, copies it, and
checks the copy table by table before giving it its final name, beside a manifest (row counts,
migrations, sha256). It never migrates: a backup taken before an upgrade is the schema of before.
A restore checks the manifest, keeps the warehouse it replaces, and republishes the analysts' copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from tasks.errors import KonbiniError
from tasks.warehouse import Warehouse


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: Path
    tables: dict[str, int]
    migrations: list[str]
    sha256: str


def table_counts(con: duckdb.DuckDBPyConnection, database: str | None = None) -> dict[str, int]:
    """Rows of every base table of a database (default: the connection's own)."""
    db = database or con.execute("select current_database()").fetchone()[0]
    tables = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = 'main'"
        " order by table_name", [db]
    ).fetchall()
    return {t: con.execute(f'select count(*) from "{db}".main."{t}"').fetchone()[0] for (t,) in tables}


def _migrations(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    query = f'select name from "{database}".main.schema_migrations order by version'
    return [n for (n,) in con.execute(query).fetchall()]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def backup(warehouse: Warehouse, folder: Path, at: datetime) -> Backup:
    """Copy the warehouse into `folder` as `warehouse-<at>.duckdb` with its manifest."""
    if not warehouse.path.exists():
        raise KonbiniError(f"there is no warehouse at {warehouse.path} to back up")
    folder.mkdir(parents=True, exist_ok=True)
    name = f"warehouse-{at:%Y%m%dT%H%M%S}.duckdb"
    target, tmp = folder / name, folder / (name + ".tmp")
    if target.exists():
        raise KonbiniError(f"{target} exists already: a backup of that second was taken")
    with warehouse.exclusive() as con:
        con.execute("checkpoint")  # the file alone now holds every committed transaction
        expected = table_counts(con)
        shutil.copyfile(warehouse.path, tmp)
        con.execute(f"attach '{tmp}' as copy (read_only)")
        try:
            copied, migrations = table_counts(con, "copy"), _migrations(con, "copy")
        finally:
            con.execute("detach copy")
    if copied != expected:
        tmp.unlink()
        raise KonbiniError(f"the copy of {warehouse.path} does not hold the same rows; nothing kept")
    digest = _sha256(tmp)
    manifest = target.with_name(name + ".json")
    manifest.write_text(json.dumps({"file": name, "taken_at": at.isoformat(), "sha256": digest,
                                    "migrations": migrations, "tables": copied}, indent=2) + "\n")
    os.replace(tmp, target)
    return Backup(target, manifest, copied, migrations, digest)


def restore(warehouse: Warehouse, source: Path, at: datetime, replace: bool = False) -> Path | None:
    """Put a backup in place of the warehouse (checked against its manifest). An existing warehouse
    is refused unless `replace`; then it is kept beside as `warehouse.duckdb.replaced-<at>`.
    Returns where the replaced warehouse went, if any."""
    manifest_path = source.with_name(source.name + ".json")
    if not source.is_file() or not manifest_path.is_file():
        raise KonbiniError(f"{source} is not a backup: the file and its manifest {manifest_path.name}"
                           " are both needed")
    manifest = json.loads(manifest_path.read_text())
    if _sha256(source) != manifest["sha256"]:
        raise KonbiniError(f"{source} does not match the sha256 of its manifest: the backup is damaged")
    if warehouse.path.exists() and not replace:
        raise KonbiniError(f"{warehouse.path} exists: pass --replace to put the backup in its place"
                           " (the current one is kept beside it)")
    kept = None
    with warehouse.exclusive(connect=False):
        tmp = warehouse.path.with_name(warehouse.path.name + ".restoring")
        shutil.copyfile(source, tmp)
        if warehouse.path.exists():
            kept = warehouse.path.with_name(f"{warehouse.path.name}.replaced-{at:%Y%m%dT%H%M%S}")
            os.replace(warehouse.path, kept)
            wal = warehouse.path.with_name(warehouse.path.name + ".wal")
            if wal.exists():  # uncheckpointed transactions belong to the replaced file
                os.replace(wal, kept.with_name(kept.name + ".wal"))
        os.replace(tmp, warehouse.path)
    return kept
