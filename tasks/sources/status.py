"""Reachability of the inboxes, kept in the warehouse (table source_attempts) so that the 2-hour
"unreachable" alert survives restarts.

    record_attempt(con, source: str, as_of: datetime, ok: bool, error: str | None = None) -> None
    unreachable(con, as_of) -> pl.DataFrame
        # source, unreachable_since, last_success_at, last_error, alert (True from 2 hours unreachable)
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl

from tasks.clock import naive_jst

ALERT_AFTER = timedelta(hours=2)


def record_attempt(
    con: duckdb.DuckDBPyConnection, source: str, as_of: datetime, ok: bool, error: str | None = None
) -> None:
    con.execute("insert into source_attempts values (?, ?, ?, ?)", [source, naive_jst(as_of), ok, error])


def unreachable(con: duckdb.DuckDBPyConnection, as_of: datetime) -> pl.DataFrame:
    """Sources failing since their last success (attempts up to `as_of`)."""
    t = naive_jst(as_of)
    return con.sql(
        """with seen as (select * from source_attempts where attempted_at <= $t),
        last_ok as (select source, max(attempted_at) filter (where ok) as last_success_at
                    from seen group by source)
        select s.source,
               min(s.attempted_at) as unreachable_since,
               any_value(l.last_success_at) as last_success_at,
               arg_max(s.error, s.attempted_at) as last_error,
               $t - min(s.attempted_at) >= $alert as alert
        from seen s join last_ok l using (source)
        where not s.ok and (l.last_success_at is null or s.attempted_at > l.last_success_at)
        group by s.source order by s.source""",
        params={"t": t, "alert": ALERT_AFTER},
    ).pl()
