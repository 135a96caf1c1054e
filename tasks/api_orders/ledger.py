"""What the API reads of the ledger: the analysts' published copy (analytics.duckdb), never the
pipeline's warehouse, so a web request never waits for (or holds up) the single writer.

    Ledger(settings).cursor() -> a DuckDB cursor on the newest published copy (reopened when replaced)

Also the master load the order rules need (current_merchants, current_sites) and v_order_status.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

# the one error of every reader of the published copy: the API cannot judge orders without one
from tasks.portal.published import NotPublished


class Ledger:
    def __init__(self, settings):
        self.path = settings.analytics_path
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple[int, int] | None = None
        self._mine = threading.local()  # the stamp of the copy this thread's last cursor reads
        from tasks.api_orders.master_answers import MasterAnswers  # it needs the order rules

        self.master_answers = MasterAnswers(self)  # the master rules' answers, per copy

    def cursor(self) -> duckdb.DuckDBPyConnection:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise NotPublished(f"{self.path}: no published copy of the warehouse yet") from None
        stamp = (st.st_ino, st.st_mtime_ns)
        with self._lock:
            if stamp != self._stamp:  # publish replaced the file (atomic rename): open the new one
                # attached to a database of its own: duckdb.connect(path) would hand back the
                # process's cached instance of the replaced file while any cursor of it lives
                con = duckdb.connect(":memory:")
                con.execute(f"attach '{self.path}' as ledger (read_only)")
                old, self._con, self._stamp = self._con, con, stamp
                if old is not None:
                    old.close()
            cur = self._con.cursor()
            self._mine.stamp = self._stamp
        cur.execute("use ledger")
        return cur

    def stamp(self) -> tuple[int, int] | None:
        """Which published copy (inode, mtime) the calling thread's last cursor reads."""
        return getattr(self._mine, "stamp", None)

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One cursor for the several reads of one request or batch."""
        cur = self.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def status(self, merchant_id: str, order_id: str) -> str | None:
        cur = self.cursor()
        try:
            row = cur.execute("select status from v_order_status where merchant_id = ? and order_id = ?",
                              [merchant_id, order_id]).fetchone()
        finally:
            cur.close()
        return row[0] if row else None

    def order_exists(self, merchant_id: str, order_ids: list[str]) -> set[str]:
        with self.reading() as cur:
            return orders_in(cur, merchant_id, order_ids)

    def site_page(self, site_id: str) -> tuple[str, list[str]] | None:
        """(merchant's name, chains enabled for the site) of the current master load."""
        cur = self.cursor()
        try:
            row = cur.execute(
                "select m.name, s.chains from current_sites s join current_merchants m using (merchant_id)"
                " where s.site_id = ?", [site_id]).fetchone()
        finally:
            cur.close()
        return (row[0], list(row[1])) if row else None

    def order_row(self, merchant_id: str, order_id: str) -> dict | None:
        """An order of the ledger (e.g. from an ORDERS file), without personal data."""
        cur = self.cursor()
        try:
            rel = cur.execute(
                "select merchant_id, site_id, order_id, chain, payment_reference, amount, tax_mode,"
                " tax_amount, strftime(due_date, '%Y-%m-%d') as due_date from orders"
                " where merchant_id = ? and order_id = ?", [merchant_id, order_id])
            row = rel.fetchone()
            return dict(zip([d[0] for d in rel.description], row, strict=True)) if row else None
        finally:
            cur.close()


def orders_in(cur: duckdb.DuckDBPyConnection, merchant_id: str, order_ids: list[str]) -> set[str]:
    """Which of these order ids of the merchant the ledger has."""
    rows = cur.execute("select order_id from orders where merchant_id = ? and list_contains(?, order_id)",
                       [merchant_id, order_ids]).fetchall()
    return {r[0] for r in rows}


def references_taken(cur: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (chain, reference) pairs the ledger's orders already use (e.g. orders merged before
    the API's store claimed every reference)."""
    if not pairs:
        return set()
    rows = cur.execute(
        "select chain, payment_reference from orders where list_contains(?, payment_reference)",
        [[r for _, r in pairs]]).fetchall()
    return set(rows) & set(pairs)
