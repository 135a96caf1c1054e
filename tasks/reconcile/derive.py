"""Derived state as a pure function of the facts as of a time (rules.md: payments and order status,
reconciliation exceptions), computed in DuckDB as temp relations, one per named step.

Only facts known at `as_of` count, so the result never depends on the order in which files
arrived, and a rerun with the same facts and `as_of` gives the same rows. Everything about one
(chain, reference) depends only on that key's facts, which is what lets a scoped run recompute a
subset exactly. `STEPS` is the one list of the steps, in order; `drop` removes them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from tasks.reconcile import steps
from tasks.reconcile.steps import Ctx
from tasks.treasury import balances, remittances


@dataclass(frozen=True)
class Step:
    name: str  # the temp relation it creates
    sql: Callable[[Ctx], str]  # its SELECT
    reads: tuple[str, ...] = ()  # the earlier steps it reads (a table is dropped after its last reader)
    table: bool = True  # materialised (read more than once, or costly); else a view inlined where used


STEPS: tuple[Step, ...] = (
    Step("rc_facts", steps.payment_facts, table=False),
    Step("rc_deadlines", steps.deadlines),
    Step("rc_resolutions", steps.resolutions),
    Step("rc_finalized", steps.finalized),
    Step("rc_orders", steps.known_orders, table=False),
    Step("rc_matched", steps.matched,
         ("rc_facts", "rc_orders", "rc_resolutions", "rc_finalized", "rc_deadlines")),
    Step("rc_order_payment", steps.order_payment, ("rc_matched",)),
    Step("rc_pay", steps.rule_inputs, ("rc_matched", "rc_order_payment")),
    Step("rc_bank_transfers", remittances.transfers),
    Step("rc_remittance", balances.remittance_exceptions, ("rc_bank_transfers", "rc_pay")),
    Step("rc_chain_balances", balances.chain_balances, ("rc_remittance",)),
    Step("rc_bank_matches", remittances.matches, ("rc_bank_transfers",)),
    Step("rc_raised", steps.raised, ("rc_pay", "rc_bank_transfers", "rc_remittance")),
    Step("rc_exceptions", steps.exceptions, ("rc_raised",)),
    Step("rc_holds", steps.holds, ("rc_exceptions",)),
    Step("rc_payments", steps.payments, ("rc_pay", "rc_holds"), table=False),
    Step("rc_status", steps.order_status, ("rc_orders", "rc_pay"), table=False),
)
# Each derived table and the step that holds its rows.
OUTPUTS: dict[str, str] = {"payments": "rc_payments", "order_status": "rc_status",
                           "exceptions": "rc_exceptions"}
# Derived tables with no (chain, reference) key: replaced whole by every run not limited to a merchant.
GLOBAL_OUTPUTS: dict[str, str] = {"chain_balances": "rc_chain_balances",
                                  "bank_transfer_matches": "rc_bank_matches"}

_READ_BY_OUTPUTS = set(OUTPUTS.values()) | set(GLOBAL_OUTPUTS.values()) | {
    r for s in STEPS if s.name in {*OUTPUTS.values(), *GLOBAL_OUTPUTS.values()} for r in s.reads}


def _last_reads() -> tuple[tuple[str, ...], ...]:
    """Per step: the tables no step after it reads, dropped once it is created, each only once (the
    outputs and what they read stay)."""
    dropped: set[str] = set()
    after: list[tuple[str, ...]] = []
    for i in range(len(STEPS)):
        needed = _READ_BY_OUTPUTS | {name for s in STEPS[i + 1:] for name in s.reads}
        now = tuple(d.name for d in STEPS[:i + 1] if d.table and d.name not in needed | dropped)
        dropped.update(now)
        after.append(now)
    return tuple(after)


_LAST_READ = _last_reads()


def derive(con: duckdb.DuckDBPyConnection, as_of: datetime, *, scoped: bool, gaps: bool) -> None:
    """Create every step's relation for `as_of` (naive JST) on `con`, inside its transaction.

    scoped: only the keys of scope.KEYS; gaps: include FILE_SEQUENCE_GAP.
    """
    ctx = Ctx(con, as_of, scoped, gaps)
    for step, last_read in zip(STEPS, _LAST_READ, strict=True):
        kind = "table" if step.table else "view"
        con.execute(f"create or replace temp {kind} {step.name} as {step.sql(ctx)}")
        for name in last_read:  # free the memory of a table no later step reads
            con.execute(f"drop table if exists {name}")


def drop(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every step's relation (dependents first)."""
    for step in reversed(STEPS):
        con.execute(f"drop {'table' if step.table else 'view'} if exists {step.name}")
