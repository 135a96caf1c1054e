"""The merchant master as the warehouse holds it: the current load, and what registered orders and
finalized settlements still need of it (a new master set may not drop a merchant or site they
reference, nor move a site to another merchant than its orders').

    current_master(con) -> (load | None, {"merchants", "sites", "fee_plans": pl.DataFrame})
    still_needed_reasons(con, frames) -> list[Reason]   # empty when the new set keeps all of it
"""

from __future__ import annotations

import duckdb
import polars as pl

from tasks.csv_table import LINE
from tasks.inbox import Reason


def still_needed_reasons(
    con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame]
) -> list[Reason]:
    """What registered orders and finalized settlements still need from the master data.

    A merchant referenced by orders or settlements and a site referenced by orders cannot
    disappear, and a site cannot move to another merchant than its orders'. (Fee plans are
    referenced only through merchants, whose plan must exist in the same set; finalized
    settlements keep their own figures.)
    """
    con.register("konbini_new_merchants", frames["merchants"].select("merchant_id"))
    con.register("konbini_new_sites", frames["sites"].select("site_id", "merchant_id"))
    try:
        rows = con.execute(
            """
            with used as (
                select merchant_id, count(*) as orders, 0 as settlements from orders group by all
                union all
                select merchant_id, 0, count(*) from settlement_finalizations group by all
            )
            select 'merchants.csv' as file, 'merchant_id' as field, merchant_id as value,
                   'merchant cannot be removed: ' || sum(orders) || ' order(s) and ' || sum(settlements)
                   || ' finalized settlement(s) reference it' as reason, null as site_id
            from used where merchant_id not in (select merchant_id from konbini_new_merchants)
            group by merchant_id
            union all
            select 'sites.csv', 'site_id', site_id,
                   'site cannot be removed: ' || count(*) || ' order(s) reference it', null
            from orders where site_id not in (select site_id from konbini_new_sites)
            group by site_id
            union all
            select 'sites.csv', 'merchant_id', s.merchant_id,
                   'site cannot move to another merchant: ' || count(*) || ' order(s) of merchant '
                   || o.merchant_id || ' reference it', o.site_id
            from orders o join konbini_new_sites s on s.site_id = o.site_id and s.merchant_id <> o.merchant_id
            group by o.site_id, o.merchant_id, s.merchant_id
            order by 1, 2, 3, 4
            """
        ).fetchall()
    finally:
        con.unregister("konbini_new_merchants")
        con.unregister("konbini_new_sites")
    site_lines = dict(frames["sites"].select("site_id", LINE).iter_rows())
    return [Reason(reason, site_lines.get(site_id), fld, value, file=file)
            for file, fld, value, reason, site_id in rows]


def current_master(con: duckdb.DuckDBPyConnection) -> tuple[dict | None, dict[str, pl.DataFrame]]:
    """The current load (load_id, loaded_at, source, sha256) and its merchants (without
    notify_secret), sites and fee plans, sorted by id; (None, {}) before the first load."""
    [row] = con.execute(
        "select load_id, loaded_at, source, sha256 from master_loads order by load_id desc limit 1"
    ).fetchall() or [None]
    if row is None:
        return None, {}
    load = dict(zip(("load_id", "loaded_at", "source", "sha256"), row, strict=True))
    frames = {
        "merchants": con.sql(
            "select * exclude (notify_secret) from current_merchants order by merchant_id"
        ).pl(),
        "sites": con.sql("select * from current_sites order by site_id").pl(),
        "fee_plans": con.sql("select * from current_fee_plans order by plan_id").pl(),
    }
    return load, frames
