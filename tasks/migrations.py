"""The warehouse's schema: the numbered migration files of schemas/sql, applied in order by every
writer's session (tasks.warehouse), and checked once only while this process keeps the warehouse
open (`kept_open`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path

import duckdb

from tasks.errors import KonbiniError


class WarehouseTooNew(KonbiniError):
    """The warehouse has migrations this code does not know: it was upgraded by a newer konbini."""


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every numbered file in schemas/sql, in order."""
    return list(_migration_files())


@lru_cache(maxsize=1)
def _migration_files() -> tuple[tuple[int, str, str], ...]:
    # read once per process: every session checks the migrations (hundreds in a demo replay)
    found = []
    for entry in resources.files("schemas").joinpath("sql").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return tuple(found)


# Warehouses this process keeps open (`kept_open`), and those of them already migrated since: while a
# process has the file open read-write no other process can open it, so its migrations cannot change.
_KEPT: set[str] = set()
_MIGRATED_WHILE_KEPT: set[str] = set()


@contextmanager
def kept_open(path: Path, settings: dict[str, str] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Hold the warehouse open in this process while inside (e.g. the demo's replay).

    Every session still takes the lock, connects, commits and closes as always; DuckDB hands each
    new connection of this process the database already open (its instance cache), and no other
    process can open the file meanwhile. So the migrations are checked by the first session only,
    not by each of the hundreds that follow. `settings`: DuckDB settings for the whole instance."""
    key = os.path.abspath(path)
    keep = duckdb.connect(str(path))
    for setting, value in (settings or {}).items():
        keep.execute(f"set {setting} = '{value}'")
    _KEPT.add(key)
    try:
        yield keep
    finally:
        _KEPT.discard(key)
        _MIGRATED_WHILE_KEPT.discard(key)
        keep.close()


def migrated(path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """`migrate` for a session; once only while the warehouse is kept open (`kept_open`)."""
    key = os.path.abspath(path)
    if key in _MIGRATED_WHILE_KEPT:
        return
    migrate(con)
    if key in _KEPT:
        _MIGRATED_WHILE_KEPT.add(key)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction; returns the names applied.

    A warehouse holding a migration this code does not have was upgraded by a newer konbini: it is
    refused rather than written by code that does not know its schema (docs/operations.md, Upgrading).
    """
    con.execute(
        "create table if not exists schema_migrations ("
        " version integer primary key, name varchar not null, applied_at timestamp not null)"
    )
    known = migrations()
    done = dict(con.execute("select version, name from schema_migrations").fetchall())
    unknown = sorted(set(done) - {v for v, _, _ in known})
    if unknown:
        names = ", ".join(done[v] for v in unknown)
        raise WarehouseTooNew(
            f"the warehouse has migrations this konbini does not know ({names}):"
            " it was upgraded by a newer version. Run that version, or restore the backup taken before"
            " the upgrade (`konbini restore`)"
        )
    applied = []
    for version, name, sql in known:
        if version in done:
            continue
        con.execute("begin")
        try:
            con.execute(sql)
            con.execute(
                "insert into schema_migrations values (?, ?, localtimestamp)", [version, name]
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        applied.append(name)
    return applied
