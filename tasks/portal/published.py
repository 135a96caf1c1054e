"""What the web reads: the published copies, never the warehouse itself.

- `analytics.duckdb`: the analysts' copy (no personal data), replaced atomically after every
  writing flow by `Warehouse.publish()`.
- `portal_private.duckdb`: the one table the analysts' copy leaves empty, `order_customers`,
  published beside it in the same step (`publish_private`) and read only for 注文詳細.

A reader keeps one read-only connection and reopens it when either file was replaced (a new inode),
so a page never shows data older than the last publish, and the writer is never locked out: it
writes its own file and the publish renames new copies into place.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb

from tasks.errors import KonbiniError
from tasks.portal.layout import TABLES
from tasks.settings import Settings

PRIVATE = "portal_private.duckdb"


class NotPublished(KonbiniError):
    """No published copy the web can read yet: no writing flow has run, or the copy was published
    by a version before the web's tables (tasks/portal/layout.py) and no writing flow has run since.
    The pages answer 503 and the order API its JSON 503 (web/api/errors.py)."""


def private_path(warehouse_path: Path) -> Path:
    return warehouse_path.with_name(PRIVATE)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def publish_private(con: duckdb.DuckDBPyConnection, db: str, warehouse_path: Path) -> None:
    """Copy `order_customers` to its own file unless it is unchanged since the last copy.

    The rows of `order_customers` are only ever added (an order is a fact), so its row count,
    with the warehouse file's inode (a restore puts another file in place), tells whether the
    copy is current: flows that add no order pay one count, not a copy.
    """
    target = private_path(warehouse_path)
    stamp = target.with_name(target.name + ".stamp")
    (rows,) = con.execute(f"select count(*) from {db}.main.order_customers").fetchone()
    mark = f"{os.stat(warehouse_path).st_ino} {rows}"
    if target.exists() and stamp.exists() and stamp.read_text() == mark:
        return
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con.execute(f"attach '{tmp}' as portal_private")
    try:
        con.execute(f"create table portal_private.order_customers as select * from {db}.main.order_customers"
                    " order by merchant_id, order_id")
    finally:
        con.execute("detach portal_private")
    os.replace(tmp, target)
    stamp.write_text(mark)


def _require_layout(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """The copy holds the tables the pages read (checked once per copy, when it is opened)."""
    present = {t for (t,) in con.execute(
        "select table_name from duckdb_tables() where database_name = 'published'").fetchall()}
    missing = [t for t in TABLES if t not in present]
    if missing:
        con.close()
        raise NotPublished(f"{path}: published before the web's tables ({', '.join(missing)});"
                           " the next writing flow publishes them")


class Reader:
    """Read-only connections to the published copies for many threads (one cursor each)."""

    def __init__(self, settings: Settings):
        self.analytics = settings.analytics_path
        self.private = private_path(settings.warehouse_path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._seen: tuple | None = None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the latest published state (reopened after a publish)."""
        seen = (_identity(self.analytics), _identity(self.private))
        with self._lock:
            if self._con is None or seen != self._seen:
                if seen[0] is None:
                    raise NotPublished(f"{self.analytics}: nothing published yet (no writing flow has run)")
                # a fresh in-memory instance each time: `duckdb.connect(path)` would hand back the
                # cached instance of the replaced file (same path, old inode) and show old data
                con = duckdb.connect(":memory:", config={"memory_limit": "2GB"})
                con.execute(f"attach '{self.analytics}' as published (read_only)")
                con.execute("use published")
                if seen[1] is not None:
                    con.execute(f"attach '{self.private}' as private (read_only)")
                else:  # before the first publish of personal data: the same shape, empty
                    con.execute("attach ':memory:' as private")
                    con.execute("create table private.order_customers as"
                                " select * from order_customers limit 0")
                _require_layout(con, self.analytics)
                self._con, self._seen = con, seen
            cur = self._con.cursor()
        cur.execute("use published")  # each cursor starts in the instance's own empty catalog
        return cur
