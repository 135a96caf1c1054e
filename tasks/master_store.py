"""The merchant master as the warehouse holds it: the current load, and what registered orders and
finalized settlements still need of it (a new master set may not drop a merchant or site they
reference, nor move a site to another merchant than its orders').

    current_master(con) -> (load | None, {"merchants", "sites", "fee_plans": pl.DataFrame})
    master_for_orders(con) -> (merchants, sites)        # what the order rules read, kept per connection
    still_needed_reasons(con, frames) -> list[Reason]   # empty when the new set keeps all of it
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

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


@dataclass(frozen=True)
class MasterForOrders:
    """The current load's merchants (merchant_id, m_id, m_status) and sites (site_id, s_id,
    s_merchant, s_status, s_chains) as the order rules (tasks.orders.master_reasons) join them."""

    merchants: pl.DataFrame
    sites: pl.DataFrame


# Per connection (a pull's session, an API cursor): the load it was read for, and what was read.
_FOR_ORDERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def master_for_orders(con: duckdb.DuckDBPyConnection) -> MasterForOrders:
    """What the order rules need of the current master load, read once per connection and load.

    Every file of a pull is judged against the same few rows, and reading the views is a fixed cost
    of several milliseconds. The load is asked each time (one cheap statement): its id and sha256
    change with every load, also one made through this connection or rolled back (a load is a new
    set; its rows are never changed)."""
    [load] = con.execute("select max(load_id), arg_max(sha256, load_id) from master_loads").fetchall()
    kept = _FOR_ORDERS.get(con)
    if kept is not None and kept[0] == load:
        return kept[1]
    master = MasterForOrders(
        con.sql("select merchant_id, merchant_id as m_id, status as m_status from current_merchants").pl(),
        con.sql("select site_id, site_id as s_id, merchant_id as s_merchant, status as s_status,"
                " chains as s_chains from current_sites").pl())
    _FOR_ORDERS[con] = (load, master)
    return master
