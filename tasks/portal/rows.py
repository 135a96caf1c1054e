"""Query results as dicts (column names from the cursor)."""

from __future__ import annotations

import duckdb


def dicts(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def one(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> dict | None:
    found = dicts(con, sql, params)
    return found[0] if found else None
