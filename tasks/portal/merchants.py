"""Which merchants the web knows (the current master) and who may see which."""

from __future__ import annotations

import duckdb

from tasks.portal.accounts import User


def merchant_name(con: duckdb.DuckDBPyConnection, merchant_id: str) -> str | None:
    row = con.execute("select name from current_merchants where merchant_id = ?", [merchant_id]).fetchone()
    return row[0] if row else None


def all_merchants(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = con.execute("select merchant_id, name, status, settlement_cycle from current_merchants"
                       " order by merchant_id").fetchall()
    return [dict(zip(("merchant_id", "name", "status", "cycle"), r, strict=True)) for r in rows]


def visible(con: duckdb.DuckDBPyConnection, user: User, merchant_id: str) -> str | None:
    """The merchant's name when `user` may see it (its own, or any for an operator), else None:
    another merchant's and an unknown merchant's pages give the same 404."""
    if not user.is_operator and user.merchant_id != merchant_id:
        return None
    return merchant_name(con, merchant_id)
