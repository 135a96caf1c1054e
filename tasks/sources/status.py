"""Reachability of the inboxes and of their entries, kept in the warehouse (tables source_attempts
and inbox_entry_failures) so that the 2-hour alerts survive restarts.

    record_attempt(con, source: str, as_of: datetime, ok: bool, error: str | None = None) -> None
    unreachable(con, as_of) -> pl.DataFrame
        # source, unreachable_since, last_success_at, last_error, alert (True from 2 hours unreachable)
    record_entry_failure(con, source, folder, name, as_of, action, error) -> None
    stuck_entries(con, as_of) -> pl.DataFrame
        # source, folder, name, failing_since, action, last_error, alert (True from 2 hours failing)
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


def record_entry_failure(
    con: duckdb.DuckDBPyConnection, source: str, folder: str, name: str, as_of: datetime,
    action: str, error: str,
) -> None:
    con.execute(
        "insert into inbox_entry_failures values (?, ?, ?, ?, ?, ?)",
        [source, folder, name, naive_jst(as_of), action, error],
    )


def stuck_entries(con: duckdb.DuckDBPyConnection, as_of: datetime) -> pl.DataFrame:
    """Entries that failed in the latest pull of their source (up to `as_of`), and since when."""
    t = naive_jst(as_of)
    return con.sql(
        """select *, $t - failing_since >= $alert as alert
        from inbox_stuck_entries_as_of($t::timestamp) order by source, folder, name""",
        params={"t": t, "alert": ALERT_AFTER},
    ).pl()
