"""What a demo (or any simulated month) gave: counts per area, read from the warehouse."""

from __future__ import annotations

SUMMARY_QUERIES: list[tuple[str, str]] = [
    ("files", "select kind || ' ' || state, count(*) from inbound_files group by all order by 1"),
    ("order rows", "select 'orders registered', count(*) from orders union all "
                   "select 'order rows rejected', count(distinct (r.file_id, r.line_no)) from rejections r "
                   "join inbound_files f using (file_id) where f.kind = 'ORDERS' and r.line_no is not null "
                   "union all select 'cancellations', count(*) from order_cancellations"),
    ("events", "select feed || ' ' || kind, count(distinct event_id) from feed_records "
               "group by all order by 1"),
    ("order status", "select status, count(*) from v_order_status group by all order by 1"),
    ("open exceptions", "select code, count(*) from v_exceptions where state = 'open' "
                        "group by all order by 1"),
    ("settlements", "select state, count(*) || ' (net ¥' || format('{:,}', sum(net)) || ')' "
                    "from v_settlements group by all order by 1"),
    ("notifications", "select 'outbox ' || state, count(*) from notification_outbox group by all order by 1"),
    ("chain balances", "select source || ' after ' || strftime(day, '%Y-%m-%d'),"
                       " '¥' || format('{:,}', balance) from v_chain_balances"
                       " qualify day = max(day) over (partition by source) order by 1"),
]


def summary_rows(con) -> list[tuple[str, str, str]]:
    """(area, what, count), the area named on its first row only: the same warehouse always gives
    the same rows."""
    rows = []
    for area, sql in SUMMARY_QUERIES:
        for i, (what, count) in enumerate(con.execute(sql).fetchall()):
            rows.append((area if i == 0 else "", str(what), str(count)))
    return rows
