"""日次推移: a merchant's daily collections (count and amount) per chain, up to 12 months."""

from __future__ import annotations

from datetime import date

import duckdb

from tasks.portal.rows import dicts

MAX_MONTHS = 12


def daily(con: duckdb.DuckDBPyConnection, merchant_id: str, start: date, end: date) -> list[dict]:
    """Per paid day and chain: the live payments (速報 or 確報, not voided), count and amount,
    from the publish's summary (tasks/portal/layout.py)."""
    return dicts(con, """
        select paid_date, chain, live_count as count, live_amount as amount
        from portal_daily_payments
        where merchant_id = $m and live_count > 0 and paid_date between $start and $end
        order by paid_date, chain""", {"m": merchant_id, "start": start, "end": end})
