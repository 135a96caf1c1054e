"""The one owner of the DuckDB warehouse.

Every write goes through `Warehouse.write()`: it takes an exclusive file lock (so writers in any
process run one at a time and wait for each other instead of failing on DuckDB's own lock), opens
the database, applies pending migrations, and runs the unit of work in one transaction. Analysts
read `analytics.duckdb`, a copy published atomically after each writing flow (`publish()`), so
they are never locked out and never see half a unit of work.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

LOCK_TIMEOUT_S = 1800


class WarehouseBusy(RuntimeError):
    pass


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every numbered file in schemas/sql, in order."""
    found = []
    for entry in resources.files("schemas").joinpath("sql").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction; returns the names applied."""
    con.execute(
        "create table if not exists schema_migrations ("
        " version integer primary key, name varchar not null, applied_at timestamp not null)"
    )
    done = {v for (v,) in con.execute("select version from schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
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


class Warehouse:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def _lock(self, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as fh:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WarehouseBusy(f"another writer holds {self.lock_path}") from None
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextmanager
    def session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The single writer's connection, migrated, without an open transaction.

        Use it for a flow that makes several units of work; wrap each in `transaction(con)`.
        """
        with self._lock():
            con = duckdb.connect(str(self.path))
            try:
                migrate(con)
                yield con
            finally:
                con.close()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One unit of work: lock, connect, one transaction, commit (or roll back on error)."""
        with self.session() as con, transaction(con):
            yield con

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A consistent read for our own commands (waits for the writer like a writer does)."""
        with self.session() as con:
            yield con

    def publish(self) -> Path:
        """Refresh analytics.duckdb, the analysts' copy; the swap is atomic (rename).

        The copy is rebuilt table by table rather than copied as a file, so that what analysts must
        not see never reaches it: customers' personal data, the raw bytes of received files (order
        files hold personal data) and merchants' notification secrets (see REDACTED).
        """
        target = self.path.with_name("analytics.duckdb")
        tmp = target.with_name(target.name + ".tmp")
        with self._lock():
            if not self.path.exists():
                return target
            tmp.unlink(missing_ok=True)
            con = duckdb.connect(str(self.path))
            try:
                db = con.execute("select current_database()").fetchone()[0]
                con.execute(f"attach '{tmp}' as analytics")
                con.execute(f"copy from database {db} to analytics (schema)")  # tables, views, macros
                tables = con.execute(
                    "select table_name from duckdb_tables() where database_name = ?"
                    " and schema_name = 'main' order by table_name", [db]
                ).fetchall()
                for (table,) in tables:
                    select = REDACTED.get(table, "select * from {db}.main.{t}").format(db=db, t=table)
                    con.execute(f"insert into analytics.main.{table} {select}")
                con.execute("detach analytics")
            finally:
                con.close()
            os.replace(tmp, target)
        return target


# What the analysts' copy holds instead of the full table.
REDACTED: dict[str, str] = {
    "order_customers": "select * from {db}.main.{t} limit 0",  # personal data: the table stays, empty
    "inbound_files": "select * replace (cast('' as blob) as content) from {db}.main.{t}",
    "merchants": "select * replace (cast(null as varchar) as notify_secret) from {db}.main.{t}",
}


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    con.execute("begin")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def open_warehouse(settings=None) -> Warehouse:
    from tasks.settings import get_settings

    s = settings or get_settings()
    return Warehouse(s.warehouse_path)
