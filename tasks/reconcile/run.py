"""One reconciliation run: derive the state as of a time and replace the derived tables.

A full run recomputes everything. A scoped run (merchant and/or a time window since..until)
recomputes only the (chain, reference) keys the window touches (scope.py), so a run over
(previous as_of, as_of] is an exact incremental update of a full run.

The derived tables are the present and only move forward: a run as of a time earlier than the
latest reconciliation is answered read-only ("what we knew then") and replaces nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from tasks.clock import naive_jst
from tasks.errors import KonbiniError
from tasks.notify.outbox import enqueue_events
from tasks.reconcile import key_index, key_rows
from tasks.reconcile import scope as keys_of
from tasks.reconcile.derive import GLOBAL_OUTPUTS, OUTPUTS, derive, drop

READ_ONLY = "read-only"  # the scope of an answer as of an earlier time: nothing stored
# DuckDB settings for the length of a run (then restored), measured at 10 M orders (docs/benchmarks.md):
SETTINGS = {
    # derived rows are a set: letting DuckDB write them in any order saves memory and time
    "preserve_insertion_order": "false",
    # the buffer pool would otherwise keep every block a run reads (up to 80 % of RAM): bounded, it
    # evicts and spills instead, so a run from scratch stays within a few GiB
    "memory_limit": "'7GiB'",
    # DuckDB 2.0's DICT_FSST string compression cost more than half of writing the derived rows
    # (2.5x slower inserts); without it their strings take about 3x the disk space (derived tables
    # only: the facts keep it)
    "disabled_compression_methods": "'dict_fsst'",
}


@contextmanager
def _settings(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> Iterator[None]:
    names = list(values)
    current = con.execute(f"select {', '.join('current_setting(?)' for _ in names)}", names).fetchone()
    before = dict(zip(names, current, strict=True))
    for name, value in values.items():
        con.execute(f"set {name} = {value}")
    try:
        yield
    finally:
        # after an error the transaction is aborted and refuses SET until the caller rolls back
        with suppress(duckdb.TransactionException):
            for name, value in before.items():
                literal = str(value).lower() if isinstance(value, bool) else repr(str(value))
                con.execute(f"set {name} = {literal}")


@dataclass
class ReconcileResult:
    run_id: int  # 0 for a read-only answer (no run recorded)
    as_of: datetime
    scope: str  # full, incremental, scoped or read-only
    orders: int  # rows recomputed
    payments: int
    exceptions: int
    open_exceptions: int  # in the whole table after the run (read-only: in the rows derived)
    status_counts: dict[str, int]  # likewise
    raised: dict[str, int] = field(default_factory=dict)  # by code, raised in the window
    cleared: dict[str, int] = field(default_factory=dict)
    notifications: int = 0
    open_by_code: dict[str, int] = field(default_factory=dict)  # like open_exceptions
    seconds: dict[str, float] = field(default_factory=dict)  # derive, write, notify (for operators)


def last_run(con: duckdb.DuckDBPyConnection) -> tuple[int, datetime] | None:
    """(run_id, as_of) of the latest reconciliation: the time the derived state stands at."""
    return con.execute(
        "select run_id, as_of from reconcile_runs order by as_of desc, run_id desc limit 1").fetchone()


def require_present(con: duckdb.DuckDBPyConnection, at: datetime, what: str) -> None:
    """Refuse (KonbiniError) to record anything as of a time earlier than the latest reconciliation:
    the derived state only moves forward (docs/decisions.md, "The present only moves forward")."""
    last = last_run(con)
    if last is not None and at < last[1]:
        raise KonbiniError(
            f"{what} as of {at:%Y-%m-%d %H:%M:%S} refused: the warehouse is already reconciled as of"
            f" {last[1]:%Y-%m-%d %H:%M:%S} (run {last[0]}) and its derived state never moves back;"
            " use that time or a later one (no --as-of: now)")


def reconcile(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    *,
    merchant: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    keys: list[tuple[str, str]] | None = None,
    incremental: bool = False,
) -> ReconcileResult:
    """Recompute payments, order status and exceptions as of `as_of` (aware JST) and store them,
    with a reconcile_runs row, then enqueue notifications — all on `con`, inside the caller's
    transaction (use `Warehouse.write()`). As of a time earlier than the latest reconciliation:
    the same derivation answered read-only (scope `read-only`), nothing stored or enqueued.

    merchant / since / until: a scoped run (module docstring); keys: exactly these
    (chain, reference) keys (and the sequence gaps), as after an operator's resolution;
    incremental: only what changed since the last full or incremental run (the scheduled run),
    which gives the same rows as a full run; a full run when there is no such earlier run.
    """
    at = naive_jst(as_of)
    known = "select 1 from orders where merchant_id = ? limit 1"
    if merchant and con.execute(known, [merchant]).fetchone() is None:
        raise KonbiniError(f"merchant {merchant!r}: no orders of this merchant to reconcile")
    if since and until and since > until:
        raise KonbiniError(f"--since {since:%Y-%m-%d %H:%M} is after --until {until:%Y-%m-%d %H:%M}")
    last = last_run(con)
    read_only = last is not None and at < last[1]
    since_n = naive_jst(since) if since else None
    until_n = min(naive_jst(until), at) if until else None
    scope, since_n = _select_keys(con, at, merchant, since_n, until_n, keys, incremental)
    scoped, gaps = scope != "full", merchant is None
    t0 = time.perf_counter()
    with _settings(con, SETTINGS):
        # the key index: kept by full and incremental runs, read by the incremental (key_index.py)
        indexed = scope in ("full", "incremental") and not read_only
        rows = key_rows.create(con, at, indexed=indexed) if scoped else None
        if indexed and not scoped:
            key_index.catch_up(con, at)
        derive(con, at, scoped=scoped, gaps=gaps)
        t1 = time.perf_counter()
        counts = _derived_counts(con) if read_only else _replace(con, scoped, gaps)
        result = _summary(con, as_of, since_n, read_only, counts)
        result.scope = READ_ONLY if read_only else scope
        if not read_only:
            result.run_id = _record_run(con, at, merchant, since_n, until_n, scope, result)
        drop(con)
        t2 = time.perf_counter()
        if not read_only:
            # the notify area's contract: in the same transaction; a scoped run hands over its keys,
            # which hold every fact new since its base, and their facts it has read
            scope_keys = keys_of.KEYS if scoped else None
            result.notifications = int(enqueue_events(con, as_of, scope_keys, rows) or 0)
    key_rows.drop(con)
    con.execute(f"drop table if exists {keys_of.KEYS}")
    result.seconds = {"derive": round(t1 - t0, 2), "write": round(t2 - t1, 2),
                      "notify": round(time.perf_counter() - t2, 2)}
    return result


def _select_keys(con, at: datetime, merchant: str | None, since: datetime | None, until: datetime | None,
                 keys: list[tuple[str, str]] | None, incremental: bool) -> tuple[str, datetime | None]:
    """Build scope.KEYS for a scoped run; returns the scope (full, incremental or scoped) and the
    window's start (an incremental run's: the as_of of the run it continues)."""
    if keys is not None:
        keys_of.given_keys(con, keys)
        return "scoped", since
    after_file_id = None
    if incremental and not (merchant or since or until):
        base = con.execute(
            "select as_of, max_file_id from reconcile_runs where scope in ('full', 'incremental')"
            " order by run_id desc limit 1").fetchone()
        if base is None or base[0] > at:
            return "full", None
        since, after_file_id = base
    if not (merchant or since or until):
        return "full", None
    keys_of.window_keys(con, at, merchant, since, until, after_file_id)
    return ("incremental" if after_file_id is not None else "scoped"), since


def _replace(con, scoped: bool, gaps: bool) -> dict[str, int]:
    """Replace the recomputed rows; returns how many of each were written."""
    bounds = key_rows.stored_bounds(con) if scoped else {}
    for table in OUTPUTS:
        if not scoped:
            con.execute(f"delete from {table}")
            continue
        ref = "payment_reference" if table == "order_status" else "reference"
        con.execute(f"delete from {table} using {keys_of.KEYS} k"
                    f" where {table}.chain = k.chain and {table}.{ref} = k.reference and {bounds[table]}")
    if scoped and gaps:  # the global exceptions (sequence gaps, treasury): no payment, recomputed whole
        con.execute("delete from exceptions where payment_id is null")
    for table, source in GLOBAL_OUTPUTS.items() if gaps else ():
        con.execute(f"delete from {table}")
        con.execute(f"insert into {table} by name select * from {source}")
    counts = {}
    for table, source in OUTPUTS.items():
        (counts[table],) = con.execute(f"insert into {table} by name select * from {source}").fetchone()
    return counts


def _derived_counts(con) -> dict[str, int]:
    return {table: con.execute(f"select count(*) from {source}").fetchone()[0]
            for table, source in OUTPUTS.items()}


def _summary(con, as_of: datetime, since: datetime | None, read_only: bool,
             counts: dict[str, int]) -> ReconcileResult:
    """Counts for operators: raised and cleared since the window's start (or the previous run);
    statuses and open exceptions over the whole tables (read-only: over what was derived)."""
    at = naive_jst(as_of)
    (prev,) = con.execute("select max(as_of) from reconcile_runs where as_of <= ?", [at]).fetchone()
    start = since or prev or datetime(1, 1, 1)
    exc = OUTPUTS["exceptions"]
    by_code = "group by code order by code"
    changed = con.execute(f"select code, count(*) filter (where raised_at > $start),"
                          f" count(*) filter (where cleared_at > $start) from {exc} {by_code}",
                          {"start": start}).fetchall()
    raised = {code: n for code, n, _ in changed if n}
    cleared = {code: n for code, _, n in changed if n}
    status_of, exc_of = (OUTPUTS["order_status"], exc) if read_only else ("order_status", "exceptions")
    status_counts = dict(con.execute(
        f"select status, count(*) from {status_of} group by status order by status").fetchall())
    open_by_code = dict(con.execute(
        f"select code, count(*) from {exc_of} where state = 'open' {by_code}").fetchall())
    return ReconcileResult(0, as_of, "", counts["order_status"], counts["payments"], counts["exceptions"],
                           sum(open_by_code.values()), status_counts, raised, cleared, 0, open_by_code)


def _record_run(con, at: datetime, merchant: str | None, since: datetime | None, until: datetime | None,
                scope: str, r: ReconcileResult) -> int:
    run_id, max_file_id = con.execute(
        "select (select coalesce(max(run_id), 0) + 1 from reconcile_runs),"
        " (select coalesce(max(file_id), 0) from inbound_files)").fetchone()
    con.execute(
        "insert into reconcile_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, at, merchant, since, until, scope, r.orders, r.payments, r.exceptions, r.open_exceptions,
         json.dumps(r.status_counts, sort_keys=True), max_file_id],
    )
    return run_id
