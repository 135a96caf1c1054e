"""The one owner of the DuckDB warehouse.

Every write goes through `Warehouse.write()`: it takes an exclusive file lock (so writers in any
process run one at a time and wait for each other instead of failing on DuckDB's own lock), opens
the database, applies pending migrations, and runs the unit of work in one transaction. Analysts
read `analytics.duckdb`, a copy published atomically after each writing flow (`publish()`), so
they are never locked out and never see half a unit of work.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from tasks import publishing
from tasks.errors import KonbiniError
from tasks.migrations import WarehouseTooNew as WarehouseTooNew  # re-exported: callers import it here
from tasks.migrations import kept_open as kept_open
from tasks.migrations import migrate as migrate
from tasks.migrations import migrated
from tasks.migrations import migrations as migrations
from tasks.redaction import analysts_select

LOCK_TIMEOUT_S = 1800
FIRST_REPORT_AFTER_S = 1.0  # a waiting command says whom it waits for after this long,
WAIT_REPORT_EVERY_S = 5.0  # then again this often
log = logging.getLogger("konbini.warehouse")


class WarehouseBusy(KonbiniError):
    """The warehouse stayed taken (by our writer or another process's connection) too long."""


def _one_line(command: str, limit: int = 100) -> str:
    """A command line fit for one log line: whitespace folded, long ones shortened."""
    command = " ".join(command.split())
    return command if len(command) <= limit else command[: limit - 1] + "…"


def _holder(lock_path: Path) -> str:
    """Who holds the lock, as its holder wrote it: process, command and since when."""
    try:
        info = json.loads(lock_path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another konbini process"
    return f"process {info['pid']} (`{info['command']}`) since {info['since']}"


_DUCKDB_HOLDER = re.compile(r"Conflicting lock is held in (?P<prog>\S+) \(PID (?P<pid>[0-9]+)\)")


def _connection_holder(error: duckdb.Error) -> str | None:
    """The other process named by DuckDB when its own file lock refuses us, else None."""
    found = _DUCKDB_HOLDER.search(str(error))
    if not found:
        return None
    pid = found["pid"]
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        command = found["prog"]
    return f"process {pid} (`{_one_line(command)}`), which has the file open"


class _Waiting:
    """Says, on stderr via the log, whom a command waits for: at once, then every few seconds."""

    def __init__(self, path: Path, timeout_s: float):
        self.path, self.deadline = path, time.monotonic() + timeout_s
        # a wait shorter than a second goes unsaid: another command's short unit of work
        self.timeout_s, self.next_report = timeout_s, time.monotonic() + FIRST_REPORT_AFTER_S

    def tick(self, holder: str) -> None:
        now = time.monotonic()
        if now > self.deadline:
            raise WarehouseBusy(
                f"the warehouse {self.path} stayed taken for {self.timeout_s:.0f} s by {holder};"
                " try again when it is done (docs/operations.md, One writer)"
            )
        if now >= self.next_report:
            log.warning("waiting for the warehouse %s: it is held by %s", self.path, holder)
            self.next_report = now + WAIT_REPORT_EVERY_S
        time.sleep(0.2)


class Warehouse:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def _lock(self, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
        """The writers' file lock; the holder writes who it is into the lock file for waiters."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as fh:
            waiting = _Waiting(self.path, timeout_s)
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waiting.tick(_holder(self.lock_path))
            fh.truncate(0)
            fh.write(json.dumps({"pid": os.getpid(), "command": _one_line(" ".join(sys.argv) or "python"),
                                 "since": datetime.now().astimezone().isoformat(timespec="seconds")}))
            fh.flush()
            try:
                yield
            finally:
                fh.truncate(0)
                fh.flush()
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _connect(self, timeout_s: float = LOCK_TIMEOUT_S) -> duckdb.DuckDBPyConnection:
        """Open the file for writing, waiting (and saying so) while another process has it open,
        e.g. an analyst's read-only connection, which DuckDB's own file lock puts before writers."""
        waiting = _Waiting(self.path, timeout_s)
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as e:
                holder = _connection_holder(e)
                if holder is None:
                    raise
                waiting.tick(holder)

    @contextmanager
    def session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The single writer's connection, migrated, without an open transaction.

        Use it for a flow that makes several units of work; wrap each in `transaction(con)`.
        """
        with self._lock():
            con = self._connect()
            try:
                migrated(self.path, con)
                yield con
            finally:
                con.close()

    @contextmanager
    def exclusive(self, connect: bool = True) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """The writers' lock with a connection as the file is (not migrated), or none: for backup
        and restore, which must see or replace the file exactly as it stands."""
        with self._lock():
            if not connect:
                yield None
                return
            con = self._connect()
            try:
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
        files hold personal data) and merchants' notification secrets (tasks/redaction.py).
        """
        target = self.path.with_name("analytics.duckdb")
        if publishing.note(self.path):  # inside publishing.deferred(): published once, on leaving
            return target
        tmp = target.with_name(target.name + ".tmp")
        with self._lock():
            if not self.path.exists():
                return target
            tmp.unlink(missing_ok=True)
            con = self._connect()
            try:
                from tasks.portal.layout import laid_out, write_summaries
                from tasks.portal.published import publish_private

                db = con.execute("select current_database()").fetchone()[0]
                con.execute(f"attach '{tmp}' as analytics")
                con.execute(f"copy from database {db} to analytics (schema)")  # tables, views, macros
                tables = con.execute(
                    "select table_name from duckdb_tables() where database_name = ?"
                    " and schema_name = 'main' order by table_name", [db]
                ).fetchall()
                for (table,) in tables:  # sorted for the web's lookups, with its summaries
                    select = laid_out(table, analysts_select(db, table))
                    con.execute(f"insert into analytics.main.{table} {select}")
                write_summaries(con, "analytics")
                con.execute("detach analytics")
                publish_private(con, db, self.path)  # the web's copy of personal data (tasks/portal)
            finally:
                con.close()
            os.replace(tmp, target)
        return target


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
