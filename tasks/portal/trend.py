"""日次推移: a merchant's daily collections (count and amount) per chain, up to 12 months."""

from __future__ import annotations

from datetime import date

import duckdb

from tasks.portal.rows import dicts

MAX_MONTHS = 12


def daily(con: duckdb.DuckDBPyConnection, merchant_id: str, start: date, end: date) -> list[dict]:
    """Per paid day and chain: the live payments (速報 or 確報, not voided), count and amount."""
    return dicts(con, """
        select paid_date, chain, count(*) as count, sum(amount) as amount
        from payments where merchant_id = $m and live and paid_date between $start and $end
        group by all order by paid_date, chain""", {"m": merchant_id, "start": start, "end": end})
