"""The operators' console (portal.md): open exceptions with age, files with state and reasons,
sequence gaps, source status, dead-lettered notifications."""

from __future__ import annotations

import duckdb

from tasks.portal.rows import dicts


def open_exceptions(con: duckdb.DuckDBPyConnection, limit: int = 500) -> list[dict]:
    return dicts(con, """
        select id, code, holds, merchant_id, order_id, chain, payment_reference, amount, sequence_kind,
               sequence_no, detail, raised_at, age_days
        from v_open_exceptions order by raised_at, id limit ?""", [limit])


def files(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[dict]:
    return dicts(con, """
        select f.file_id, f.folder, f.name, f.kind, f.state, f.received_at, f.size_bytes,
               list(coalesce('行 ' || r.line_no || ' ', '') || coalesce(r.field || ': ', '') || r.reason
                    order by r.line_no) filter (where r.reason is not null) as reasons
        from inbound_files f left join rejections r using (file_id)
        group by all order by f.file_id desc limit ?""", [limit])


def sequence_gaps(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return dicts(con, "select kind, sequence_no, first_seen_higher_at, alert_from from feed_sequence_gaps")


def sequences(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return dicts(con, "select * from feed_sequences order by kind")


def sources(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return dicts(con, "select * from source_status order by source")


def dead_notifications(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[dict]:
    return dicts(con, """
        select event_id, type, merchant_id, order_id, created_at, attempts, dead_at, last_status_code,
               last_error
        from notification_outbox where state = 'dead' order by dead_at desc, event_id limit ?""", [limit])
