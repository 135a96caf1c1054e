"""The temporary tables of one settlement run, named in one place.

A run works set-based in DuckDB: the assignment makes the tables of merchants, periods and payments,
the statements are registered next to them. Every step after the assignment gets a `RunTables` and
reads the tables through it, so no module needs to know another's table names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl


@dataclass(frozen=True)
class RunTables:
    merchants: str = "_s_merchants"  # current master (cycle, plan, account) and finalized history
    floor: str = "_s_floor"  # per merchant: the first period start after its last finalized one
    periods: str = "_s_periods"  # open periods of every cycle in range, with `due` for this run
    days: str = "_s_days"  # per cycle and day: the look-ups of tasks.settle.periods
    payments: str = "_s_pay"  # settleable confirmed payments not finalized, with target period
    due: str = "_s_due"  # those of `payments` in this run's statements
    adjustments: str = "_s_adj"  # claw-backs not finalized, with target period and `due`
    statements: str = "_s_statements"  # one row per statement (tasks.settle.statement)
    extra: str = "_s_extra"  # fee, tax, adjustment and carried-balance lines of the statements
    lines: str = "_s_lines"  # every line of every statement, unnumbered
    previous: str = "_s_prev"  # per statement: the last run that computed it
    output: str = "_s_stmts_out"  # statements with state and change counts, as written
    changes: str = "_s_changes_out"  # what changed since the previous run, as written
    placed: str = "_s_placed"  # every confirmed payment with its place (tasks.settle.checks)


def register(con: duckdb.DuckDBPyConnection, name: str, df: pl.DataFrame) -> None:
    """A Polars frame as a temporary table (replacing one of that name)."""
    con.register(f"{name}_df", df)
    con.execute(f"create or replace temp table {name} as select * from {name}_df")
    con.unregister(f"{name}_df")


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> Any:
    return con.execute(sql, params or []).fetchall()[0][0]
