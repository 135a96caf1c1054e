"""ホーム: today's and yesterday's 速報 by chain, 確報 waiting, open problems, the next payout."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from tasks.portal.rows import dicts, one


def home(con: duckdb.DuckDBPyConnection, merchant_id: str, today: date) -> dict:
    # the payments' counts and amounts from the publish's summary (tasks/portal/layout.py)
    prelim = dicts(con, """
        select chain, paid_date, prelim_count as count, prelim_amount as amount
        from portal_daily_payments
        where merchant_id = $m and prelim_count > 0 and paid_date in ($today, $yesterday)
        order by chain, paid_date""",
        {"m": merchant_id, "today": today, "yesterday": today - timedelta(days=1)})
    waiting = one(con, """
        select coalesce(sum(waiting_count), 0) as count, coalesce(sum(waiting_amount), 0) as amount
        from portal_daily_payments where merchant_id = $m""", {"m": merchant_id})
    problems = dicts(con, """
        select code, count(*) as count, coalesce(sum(amount), 0) as amount from v_open_exceptions
        where merchant_id = $m group by code order by code""", {"m": merchant_id})
    payout = one(con, """
        select payout_date, net, state, settlement_id from v_settlements
        where merchant_id = $m and payout_date >= $today order by payout_date, settlement_id limit 1""",
        {"m": merchant_id, "today": today})
    chains = sorted({r["chain"] for r in prelim})
    by_day = {(r["chain"], r["paid_date"]): r for r in prelim}
    return {
        "today": today, "yesterday": today - timedelta(days=1),
        "prelim": [{"chain": c, "today": by_day.get((c, today)),
                    "yesterday": by_day.get((c, today - timedelta(days=1)))} for c in chains],
        "waiting": waiting, "problems": problems, "payout": payout,
    }
