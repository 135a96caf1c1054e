"""What changed since the previous run (差分): each run shows it for every statement it computes.

Per statement: figures before/after and lines added or removed since the last run that computed it;
`new` for a statement never computed before; `gone` for a draft of the previous run that this run no
longer has (and that was not finalized since).
"""

from __future__ import annotations

import duckdb
import polars as pl

from tasks.settle.statement import FIGURES
from tasks.settle.tables import RunTables

LINE_KEYS = ("kind", "payment_id", "fee_month", "adjustment_id", "amount")


def changes(con: duckdb.DuckDBPyConnection, t: RunTables, run_id: int, prev_run: int | None) -> pl.DataFrame:
    con.execute(
        f"""
        create or replace temp table {t.previous} as
        select s.settlement_id, max(d.run_id) as prev_run
        from {t.statements} s join settlement_drafts d using (settlement_id)
        group by s.settlement_id
        """
    )
    # every figure of a statement against its previous draft, side by side in one pass (a figure
    # a row, unnested), kept where it differs
    listed = ", ".join(f"'{f}'" for f in FIGURES)
    figures = f"""
        select settlement_id, 'figure' as change, item, null::varchar as payment_id,
               null::date as fee_month, before_value, after_value
        from (select s.settlement_id, unnest([{listed}]) as item,
                     unnest([{", ".join(f"d.{f}::bigint" for f in FIGURES)}]) as before_value,
                     unnest([{", ".join(f"s.{f}::bigint" for f in FIGURES)}]) as after_value
              from {t.statements} s join {t.previous} p using (settlement_id)
              join settlement_drafts d on d.run_id = p.prev_run and d.settlement_id = s.settlement_id)
        where before_value <> after_value"""
    keys = ", ".join(LINE_KEYS)
    lkeys = ", ".join("l." + k for k in LINE_KEYS)
    ours = (f"select settlement_id, {keys} from {t.lines} "
            f"where settlement_id in (select settlement_id from {t.previous})")
    theirs = (f"select l.settlement_id, {lkeys} from settlement_draft_lines l join {t.previous} p "
              "on l.run_id = p.prev_run and l.settlement_id = p.settlement_id")
    sql = f"""
        {figures}
        union all
        select settlement_id, 'new', 'statement', null, null, null, s.net
        from {t.statements} s where settlement_id not in (select settlement_id from {t.previous})
        union all
        select d.settlement_id, 'gone', 'statement', null, null, d.net, null
        from settlement_drafts d
        where d.run_id = $prev and d.state = 'draft'
          and d.settlement_id not in (select settlement_id from {t.statements})
          and d.settlement_id not in (select settlement_id from settlement_finalizations)
        union all
        select settlement_id, 'line_added', kind, payment_id, fee_month, null, amount from (
            {ours} except {theirs})
        union all
        select settlement_id, 'line_removed', kind, payment_id, fee_month, amount, null from (
            {theirs} except {ours})
    """
    df = con.sql(sql, params={"prev": prev_run}).pl()
    return df.select(pl.lit(run_id).cast(pl.Int32).alias("run_id"), pl.all()).sort(
        ["settlement_id", "change", "item", "payment_id"], nulls_last=True
    )


def with_change_counts(stmts: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    counts = changes.group_by("settlement_id").agg(
        (pl.col("change") == "line_added").sum().cast(pl.Int64).alias("lines_added"),
        (pl.col("change") == "line_removed").sum().cast(pl.Int64).alias("lines_removed"),
    )
    return (
        stmts.join(counts, on="settlement_id", how="left")
        .with_columns(pl.col("lines_added", "lines_removed").fill_null(0))
    )
