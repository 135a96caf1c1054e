"""One reconciliation run: derive the state as of a time and replace the derived tables.

A full run recomputes everything. A scoped run (merchant and/or a time window since..until)
recomputes only the (chain, reference) keys the window touches — facts ingested, resolved or
finalized in it, orders expiring in it, payments reaching their PRELIM_NOT_CONFIRMED deadline in
it — so a run over (previous as_of, as_of] is an exact incremental update of a full run.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from tasks.clock import naive_jst
from tasks.errors import KonbiniError
from tasks.reconcile.derive import derive, prelim_deadline, ts

DERIVED = ("payments", "order_status", "exceptions")


@dataclass
class ReconcileResult:
    run_id: int
    as_of: datetime
    scope: str
    orders: int  # rows recomputed
    payments: int
    exceptions: int
    open_exceptions: int  # in the whole table after the run
    status_counts: dict[str, int]  # whole table
    raised: dict[str, int] = field(default_factory=dict)  # by code, raised in the window
    cleared: dict[str, int] = field(default_factory=dict)
    notifications: int = 0
    open_by_code: dict[str, int] = field(default_factory=dict)  # whole table
    seconds: dict[str, float] = field(default_factory=dict)  # derive, write, notify (for operators)


def _scope_keys(con, as_of: datetime, merchant: str | None, since: datetime | None,
                until: datetime | None, after_file_id: int | None = None) -> None:
    """Temp table rc_keys(chain, reference) of the keys a scoped run recomputes.

    after_file_id (incremental runs): also every key of a file recorded after that one, so a pull
    whose ingestion time precedes the previous run but which committed after it is not missed.
    """
    hi = ts(until or as_of)
    lo = ts(since) if since else "timestamp '0001-01-01'"
    win = f"between {lo} and {hi}" if since else f"<= {hi}"
    if since is None and until is None:
        parts = ["select chain, payment_reference as reference from orders",
                 "select chain, reference from feed_records"]
    else:
        # PRELIM_NOT_CONFIRMED deadlines falling in the window, as paid dates.
        first = (since or until or as_of).date() - timedelta(days=40)
        last = (until or as_of).date()
        paid_dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        lo_dt = since or datetime(1, 1, 1)
        hi_dt = until or as_of
        due_paid = [d for d in paid_dates if lo_dt <= prelim_deadline(d) <= hi_dt]
        parts = [
            f"select chain, reference from feed_records where ingested_at {win}",
            f"select chain, payment_reference from orders where ingested_at {win}",
            f"select chain, payment_reference from orders where due_date + interval 1 day {win}",
            f"""select o.chain, o.payment_reference from order_cancellations c
                join orders o using (merchant_id, order_id) where c.ingested_at {win}""",
            f"""select p.chain, p.reference from exception_resolutions r
                join payments p using (payment_id) where r.resolved_at {win}""",
            f"""select p.chain, p.reference from settlement_finalizations f
                join settlement_lines l using (settlement_id) join payments p using (payment_id)
                where f.finalized_at {win}""",
        ]
        if due_paid:
            listed = ", ".join(f"date '{d.isoformat()}'" for d in due_paid)
            parts.append(
                f"select chain, reference from feed_records where kind = '01' and paid_date in ({listed})")
    if after_file_id is not None:
        parts += [
            f"select chain, reference from feed_records where file_id > {int(after_file_id)}",
            f"select chain, payment_reference from orders where file_id > {int(after_file_id)}",
            f"""select o.chain, o.payment_reference from order_cancellations c
                join orders o using (merchant_id, order_id) where c.file_id > {int(after_file_id)}""",
        ]
    keys = " union ".join(parts)
    if merchant:
        keys = (f"select k.chain, k.reference from ({keys}) k join orders o "
                f"on o.chain = k.chain and o.payment_reference = k.reference where o.merchant_id = $m")
    con.execute(f"create or replace temp table rc_keys as select distinct chain, reference from ({keys})",
                {"m": merchant} if merchant else None)


def _replace(con, scoped: bool, gaps: bool) -> dict[str, int]:
    """Replace the recomputed rows; returns how many of each were written."""
    if not scoped:
        for table in DERIVED:
            con.execute(f"delete from {table}")
    else:
        con.execute("""
            delete from payments using rc_keys k
             where payments.chain = k.chain and payments.reference = k.reference;
            delete from order_status using rc_keys k
             where order_status.chain = k.chain and order_status.payment_reference = k.reference;
            delete from exceptions using rc_keys k
             where exceptions.chain = k.chain and exceptions.reference = k.reference;
        """)
        if gaps:
            con.execute("delete from exceptions where code = 'FILE_SEQUENCE_GAP'")
    counts = {}
    targets = (("payments", "payments", "rc_payments"), ("orders", "order_status", "rc_status"),
               ("exceptions", "exceptions", "rc_exc2"))
    for name, table, source in targets:
        (counts[name],) = con.execute(f"insert into {table} by name select * from {source}").fetchone()
    return counts


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
    transaction (use `Warehouse.write()`).

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
    since_n = naive_jst(since) if since else None
    until_n = min(naive_jst(until), at) if until else None
    after_file_id = None
    scope = "scoped"
    if incremental and not (merchant or since or until or keys is not None):
        base = con.execute(
            "select as_of, max_file_id from reconcile_runs where scope in ('full', 'incremental')"
            " order by run_id desc limit 1").fetchone()
        if base is not None and base[0] <= at:
            since_n, after_file_id, scope = base[0], base[1], "incremental"
    scoped = bool(merchant or since_n or until_n or keys is not None)
    if keys is not None:
        con.execute("create or replace temp table rc_keys (chain varchar, reference varchar)")
        if keys:
            con.executemany("insert into rc_keys values (?, ?)", [list(k) for k in keys])
    elif scoped:
        _scope_keys(con, at, merchant, since_n, until_n, after_file_id)
    scope = scope if scoped else "full"
    gaps = merchant is None
    t0 = time.perf_counter()
    # Derived rows are a set: letting DuckDB write them in any order saves memory and time.
    (keep_order,) = con.execute("select current_setting('preserve_insertion_order')").fetchone()
    con.execute("set preserve_insertion_order = false")
    try:
        derive(con, at, scoped=scoped, gaps=gaps)
        t1 = time.perf_counter()
        counts = _replace(con, scoped, gaps)
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if keep_order else 'false'}")

    (prev,) = con.execute("select max(as_of) from reconcile_runs where as_of <= ?", [at]).fetchone()
    window_start = since_n or prev or datetime(1, 1, 1)
    raised = dict(con.execute(
        "select code, count(*) from rc_exc2 where raised_at > ? group by code order by code",
        [window_start]).fetchall())
    cleared = dict(con.execute(
        "select code, count(*) from rc_exc2 where cleared_at > ? group by code order by code",
        [window_start]).fetchall())
    status_counts = dict(con.execute(
        "select status, count(*) from order_status group by status order by status").fetchall())
    open_by_code = dict(con.execute(
        "select code, count(*) from exceptions where state = 'open' group by code order by code").fetchall())
    open_n = sum(open_by_code.values())
    (run_id,) = con.execute("select coalesce(max(run_id), 0) + 1 from reconcile_runs").fetchone()
    (max_file_id,) = con.execute("select coalesce(max(file_id), 0) from inbound_files").fetchone()
    con.execute(
        "insert into reconcile_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, at, merchant, since_n, until_n, scope, counts["orders"], counts["payments"],
         counts["exceptions"], open_n, json.dumps(status_counts, sort_keys=True), max_file_id],
    )
    for view in ("rc_payments", "rc_status", "rc_ord", "rc_agg"):
        con.execute(f"drop view if exists {view}")
    for tmp in ("rc_deadline", "rc_res", "rc_fin", "rc_pay1", "rc_op", "rc_pay", "rc_exc", "rc_exc2",
                "rc_hold"):
        con.execute(f"drop table if exists {tmp}")
    t2 = time.perf_counter()
    notifications = _enqueue(con, as_of, "rc_keys" if scoped else None)
    con.execute("drop table if exists rc_keys")
    seconds = {"derive": round(t1 - t0, 2), "write": round(t2 - t1, 2),
               "notify": round(time.perf_counter() - t2, 2)}
    return ReconcileResult(run_id, as_of, scope, counts["orders"],
                           counts["payments"], counts["exceptions"], open_n, status_counts,
                           raised, cleared, notifications, open_by_code, seconds)


def _enqueue(con, as_of: datetime, keys: str | None) -> int:
    """Notifications of the new facts, in the same transaction (the notify area's contract); a
    scoped run looks only at the keys it recomputed, which hold every fact new since its base."""
    try:
        from tasks.notify.outbox import enqueue_events
    except ModuleNotFoundError:  # the notify area not installed
        return 0
    return int(enqueue_events(con, as_of, keys) or 0)
