"""Operators' resolutions of exceptions (release, refund, dismiss): facts that survive every rerun.

A resolution is checked against the rule table (rules.py) and the exception's current state,
stored, and the exception's payment is reconciled again at once (same transaction), so a release
makes the payment settleable without waiting for the next scheduled run.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import datetime

import duckdb

from tasks.clock import naive_jst
from tasks.errors import KonbiniError
from tasks.reconcile.rules import ACTIONS, BY_CODE, DISMISS, RELEASE


@dataclass(frozen=True)
class Resolution:
    exception_id: str
    code: str
    payment_id: str | None
    action: str
    note: str
    resolved_by: str
    resolved_at: datetime


def operator_name() -> str:
    """Who resolves: the OS user (the CLI's --by overrides)."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return os.environ.get("USER", "unknown")


def resolve(
    con: duckdb.DuckDBPyConnection,
    exception_id: str,
    action: str,
    note: str,
    resolved_by: str,
    at: datetime,
) -> Resolution:
    """Record an operator's decision, or refuse it with the reason (KonbiniError).

    Call inside the caller's transaction; it reconciles the exception's payment again as of `at`.
    """
    # here, not at the top: the engine imports NumPy (treasury), which listing exceptions must not pay for
    from tasks.reconcile.run import reconcile, require_present

    if action not in ACTIONS:
        raise KonbiniError(f"action {action!r}: must be one of {', '.join(ACTIONS)}")
    if not note or not note.strip():
        raise KonbiniError(f"exception {exception_id}: a note is required to {action} it")
    done = con.execute(
        "select code, action, resolved_by, resolved_at from exception_resolutions where exception_id = ?",
        [exception_id]).fetchone()
    if done is not None:
        raise KonbiniError(
            f"exception {exception_id} ({done[0]}): already resolved ({done[1]} by {done[2]} at {done[3]});"
            " a resolution is final")
    row = con.execute(
        "select code, payment_id, state, cleared_at, merchant_id, chain, reference "
        "from exceptions where exception_id = ?", [exception_id]).fetchone()
    if row is None:
        raise KonbiniError(f"exception {exception_id}: no such exception (see `konbini exceptions list`)")
    code, payment_id, state, cleared_at, merchant_id, chain, reference = row
    if state == "cleared":
        raise KonbiniError(
            f"exception {exception_id} ({code}): cleared by itself at {cleared_at}; nothing to resolve")
    rule = BY_CODE[code]
    if action not in rule.actions:
        if action == DISMISS:
            why = f"{code} holds the payment out of settlement: release or refund it, not dismiss"
        elif not rule.holds:
            why = f"{code} does not hold any money: only dismiss applies"
        elif action == RELEASE and code == "UNKNOWN_REFERENCE":
            why = "the reference matches no order, so there is no merchant to settle to: refund it, or wait"
            why += " for the order to arrive (the exception then clears by itself)"
        else:
            why = f"allowed: {', '.join(rule.actions)}"
        raise KonbiniError(f"exception {exception_id}: cannot {action} {code}: {why}")

    resolved_at = naive_jst(at)
    # A decision is a fact of its time; backdating it behind the present would rewrite what the
    # derived state (and settlements computed from it) already said.
    require_present(con, resolved_at, f"resolution of {exception_id}")
    con.execute(
        "insert into exception_resolutions values (?, ?, ?, ?, ?, ?, ?)",
        [exception_id, code, payment_id, action, note.strip(), resolved_by, resolved_at],
    )
    # Reconcile the concerned key (a FILE_SEQUENCE_GAP has none: the gaps are recomputed).
    reconcile(con, at, keys=[(chain, reference)] if chain else [])
    return Resolution(exception_id, code, payment_id, action, note.strip(), resolved_by, resolved_at)


def list_exceptions(
    con: duckdb.DuckDBPyConnection,
    state: str | None = None,
    code: str | None = None,
    merchant: str | None = None,
) -> list[dict]:
    """Exceptions of the last reconciliation (v_exceptions), filtered, oldest first: rows for
    operators (plain rows, not a frame: `konbini exceptions list` must not pay for Polars)."""
    if code and code not in BY_CODE:
        raise KonbiniError(f"--code {code!r}: unknown exception code; one of {', '.join(BY_CODE)}")
    if state and state not in ("open", "cleared", "resolved"):
        raise KonbiniError(f"--state {state!r}: must be open, cleared or resolved")
    where, params = [], []
    for column, value in (("state", state), ("code", code), ("merchant_id", merchant)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    sql = (
        "select id, code, state, merchant_id, order_id, chain, payment_reference, amount, sequence_kind,"
        " sequence_no, source, bank_day, raised_at, cleared_at, resolution from v_exceptions"
        + (" where " + " and ".join(where) if where else "")
        + " order by raised_at, id"
    )
    cur = con.execute(sql, params)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def show_exception(con: duckdb.DuckDBPyConnection, exception_id: str) -> dict:
    """Everything about one exception: its row, its rule, its payment (`payment.*`), its order
    (`order.*`: amount, due date, status) and its events (`events`: kind, when and in which file
    first received); no personal data."""
    rel = con.execute("select * from v_exceptions where id = ?", [exception_id])
    cols = [d[0] for d in rel.description]
    row = rel.fetchone()
    if row is None:
        raise KonbiniError(f"exception {exception_id}: no such exception (see `konbini exceptions list`)")
    info = dict(zip(cols, row, strict=True))
    rule = BY_CODE[info["code"]]
    info["rule"] = rule.raised_when
    info["clears_when"] = rule.clears_when or "never by itself"
    info["allowed_actions"] = ", ".join(rule.actions)
    pay = con.execute(
        "select payment_id, paid_date, paid_time, store_code, amount, role, has_prelim, has_confirmed,"
        " has_cancel, holding_code, settleable, settlement_id from payments where payment_id = ("
        " select payment_id from exceptions where exception_id = ?)", [exception_id])
    pcols = [d[0] for d in pay.description]
    prow = pay.fetchone()
    if prow is not None:
        info.update({f"payment.{c}": v for c, v in zip(pcols, prow, strict=True)})
    order = con.execute(
        "select order_id, amount, due_date, status from v_order_status"
        " where merchant_id = ? and order_id = ?", [info["merchant_id"], info["order_id"]])
    ocols = [d[0] for d in order.description]
    for orow in order.fetchall():  # one at most
        info.update({f"order.{c}": v for c, v in zip(ocols, orow, strict=True)})
    # its events (01, 02, 03), each with the file that first brought it; from feed_records, where
    # the filter on the payment applies before grouping (payment_events groups everything first)
    events = con.execute(
        "select r.kind, min(r.ingested_at) as received_at, any_value(f.folder || '/' || f.name"
        " order by r.ingested_at, r.file_id, r.record_no) as first_file, count(*) as sightings"
        " from feed_records r join inbound_files f using (file_id)"
        " where r.payment_id = (select payment_id from exceptions where exception_id = ?)"
        " group by r.kind order by r.kind", [exception_id])
    enames = [d[0] for d in events.description]
    info["events"] = [dict(zip(enames, row, strict=True)) for row in events.fetchall()]
    return info
