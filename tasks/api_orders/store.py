"""The API's own store (stdlib sqlite3, WAL): the web never holds the warehouse's single writer.

    open_store(settings) -> Store          # one per process; a connection per thread
    store.tx() -> connection in a transaction (BEGIN IMMEDIATE: one writer at a time, short)

Tables: `api_keys` (hashed), `idempotency` (24 h), `intake` (accepted orders, with the payment
page's token), `cancels` (asked over the API), `issued_references` (every reference of every chain
taken by us or by an ORDERS file: the one authority of "unique per chain for ever"), `claimed_orders`
(every order key taken by the API or by an ORDERS file: the authority of "one order per key" between
the two doors, tasks/api_orders/order_keys.py), `batches` (what was exported to the inbox, per kind).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
create table if not exists api_keys (
    key_id text primary key, merchant_id text not null, key_hash text not null unique,
    created_at text not null, revoked_at text);
create table if not exists idempotency (
    merchant_id text not null, key text not null, body_sha256 text not null,
    status integer not null, answer text not null, created_at real not null,
    primary key (merchant_id, key));
create table if not exists intake (
    seq integer primary key autoincrement,
    merchant_id text not null, site_id text not null, order_id text not null, chain text,
    payment_reference text, amount integer not null, tax_mode text not null, tax_amount integer not null,
    ordered_at text not null, due_date text not null, customer_name_kana text not null,
    customer_phone text not null, customer_email text not null,
    token text not null unique, registered_at text not null, chosen_at text, batch integer,
    unique (merchant_id, order_id));
create index if not exists intake_unbatched on intake (batch) where batch is null;
create table if not exists issued_references (
    chain text not null, reference text not null, merchant_id text not null, order_id text not null,
    issued_at text not null, primary key (chain, reference));
create table if not exists cancels (
    merchant_id text not null, order_id text not null, cancelled_at text not null, batch integer,
    primary key (merchant_id, order_id));
create table if not exists claimed_orders (
    merchant_id text not null, order_id text not null, door text not null check (door in ('api', 'file')),
    claimed_at text not null, primary key (merchant_id, order_id)) without rowid;
create table if not exists batches (
    kind text not null, batch integer not null, created text not null, written integer not null default 0,
    primary key (kind, batch));
"""


def store_path(settings) -> Path:
    return Path(settings.data_dir) / "api" / "intake.sqlite"


class Store:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self.tx() as con:  # one writer: a second process opening the store waits, then finds it done
            claims = con.execute("select 1 from sqlite_master where name = 'claimed_orders'").fetchone()
            for statement in filter(str.strip, SCHEMA.split(";")):
                con.execute(statement)
            if claims is None:  # a store of before the order keys' claims: its intake holds the API's
                con.execute("insert into claimed_orders select merchant_id, order_id, 'api', registered_at"
                            " from intake")

    def con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            con.execute("pragma journal_mode = wal")
            con.execute("pragma synchronous = full")  # an accepted order survives a power cut
            con.row_factory = sqlite3.Row
            self._local.con = con
        return con

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        con = self.con()
        con.execute("begin immediate")  # the write lock now: no upgrade deadlock between writers
        with con:  # sqlite3's own: commit at the end, roll back on an exception
            yield con


_STORES: dict[Path, Store] = {}
_LOCK = threading.Lock()


def open_store(settings) -> Store:
    path = store_path(settings).resolve()
    with _LOCK:
        if path not in _STORES or not path.exists():
            _STORES[path] = Store(path)
        return _STORES[path]
