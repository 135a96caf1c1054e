"""Checks every settlement run makes before it may finalize anything (stored with the run).

1. Money conservation: every confirmed (02) payment is in exactly one place — settled (in a
   finalized settlement), in a statement of this run, waiting for its period's cut-off, carried over
   (it missed its period's settlement), held by an open exception, or refunded. A payment in no
   place, or in two settlements, fails the run.
2. Statement arithmetic: each statement's figures recomputed from its lines, and
   net = payments − fees − tax − stamps + adjustments + carried in, tax = ⌊fees × 10%⌋.
3. Payout files: each file's trailer (read back from its bytes) equals the sum of the positive
   nets of the settlements it pays plus the repayments it carries, and its count the number of
   merchants paid plus repayments.
4. Freshness: the payments table was reconciled after the cut-off of what is finalized.
5. Treasury (tasks.treasury.conservation): refunded yen split into refunds paid and owed to a
   customer; the settled money of finalized settlements in exactly one place — paid, returned and
   waiting, carried as a debt, owed to us or paid back by the merchant.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from tasks.settle.charges import consumption_tax
from tasks.settle.payouts import repayment_date
from tasks.settle.tables import RunTables
from tasks.settle.zengin import read_trailer
from tasks.treasury.conservation import check as treasury_conservation
from tasks.treasury.returns import Repayment

PLACES = ("settled", "in_run", "waiting", "carried", "held", "refunded")
SHOW = 10  # payment ids named in a failure message


def conservation(con: duckdb.DuckDBPyConnection, t: RunTables) -> tuple[dict[str, int], list[str]]:
    con.execute(
        f"""
        create or replace temp table {t.placed} as
        select p.payment_id, p.amount,
               case when fp.payment_id is not null then 'settled'
                    when sp.due then 'in_run'
                    when p.refunded then 'refunded'
                    when p.holding_code is not null then 'held'
                    when sp.payment_id is not null and sp.period_start > sp.own_start then 'carried'
                    when sp.payment_id is not null then 'waiting'
                    else 'unaccounted' end as place
        from payments p
        left join (select payment_id from finalized_payments) fp using (payment_id)
        left join {t.payments} sp using (payment_id)
        where p.has_confirmed
        """
    )
    rows = con.execute(
        f"select place, count(*), coalesce(sum(amount), 0)::bigint from {t.placed} group by place"
    ).fetchall()
    figures = {p: 0 for p in PLACES}
    figures["confirmed"] = 0
    failures = []
    for place, count, total in rows:
        figures["confirmed"] += total
        if place == "unaccounted":
            sample = [r[0] for r in con.execute(
                f"select payment_id from {t.placed} where place = 'unaccounted' order by 1 limit {SHOW}"
            ).fetchall()]
            failures.append(
                f"conservation: {count} confirmed payments ({total} yen) are neither settled, in this "
                f"run, waiting, carried, held nor refunded: {', '.join(sample)}"
            )
            figures["unaccounted"] = total
        else:
            figures[place] = total
    confirmed = con.execute(
        "select coalesce(sum(amount), 0)::bigint from payments where has_confirmed"
    ).fetchall()[0][0]
    if confirmed != figures["confirmed"]:
        failures.append(
            f"conservation: confirmed total {confirmed} yen, places add to {figures['confirmed']}"
        )
    # A payment in two settlements: twice in this run, or in this run and a finalized one. (Two
    # finalized ones would have failed this check in the run that finalized the second.)
    twice = con.execute(
        f"""
        select payment_id from (
            select payment_id from {t.due} group by payment_id having count(*) > 1
            union all
            select payment_id from {t.due} where payment_id in (select payment_id from finalized_payments))
        order by 1 limit 10
        """
    ).fetchall()
    if twice:
        failures.append(f"conservation: payments in two settlements: {', '.join(r[0] for r in twice)}")
    return figures, failures


def arithmetic(con: duckdb.DuckDBPyConnection, t: RunTables, stmts: pl.DataFrame) -> list[str]:
    """Each statement's figures recomputed from its lines, its net from its figures, and its tax
    from its fees."""
    bad = con.execute(
        f"""
        with recomputed as (
            select settlement_id,
                   count(*) filter (where kind = 'payment')                              as payment_count,
                   coalesce(sum(amount) filter (where kind = 'payment'), 0)             as payments_total,
                   coalesce(sum(fee) filter (where kind = 'payment'), 0)
                     + coalesce(sum(amount) filter (where kind in ('monthly_fee', 'initial_fee')), 0)
                                                                                         as fees,
                   coalesce(sum(amount) filter (where kind = 'tax'), 0)                 as tax,
                   coalesce(sum(stamp) filter (where kind = 'payment'), 0)              as stamps,
                   coalesce(sum(amount) filter (where kind = 'adjustment'), 0)          as adjustments,
                   coalesce(sum(amount) filter (where kind = 'carried_in'), 0)          as carried_in
            from {t.lines} group by settlement_id
        )
        select s.settlement_id
        from {t.statements} s left join recomputed r using (settlement_id)
        where s.payment_count <> coalesce(r.payment_count, 0)
           or s.payments_total <> coalesce(r.payments_total, 0)
           or s.fees <> coalesce(r.fees, 0)
           or s.tax <> coalesce(r.tax, 0)
           or s.stamps <> coalesce(r.stamps, 0)
           or s.adjustments <> coalesce(r.adjustments, 0)
           or s.carried_in <> coalesce(r.carried_in, 0)
           or s.net <> s.payments_total - s.fees - s.tax - s.stamps + s.adjustments + s.carried_in
        """
    ).fetchall()
    taxed_wrong = stmts.filter(pl.col("tax") != consumption_tax(pl.col("fees")))["settlement_id"]
    bad_ids = sorted({sid for (sid,) in bad} | set(taxed_wrong.to_list()))[:SHOW]
    return [f"arithmetic: statement {sid} does not add up from its lines" for sid in bad_ids]


def payout_files(
    files: dict[date, bytes | str], stmts: pl.DataFrame, chosen: list[str], repayments: list[Repayment] = ()
) -> list[str]:
    failures = []
    first = repayment_date(files)
    sel = stmts.filter(pl.col("settlement_id").is_in(chosen))
    for d, content in sorted(files.items()):
        if isinstance(content, str):
            failures.append(content)
            continue
        per_merchant = (
            sel.filter((pl.col("payout_date") == d) & (pl.col("net") > 0))
            .group_by("merchant_id")
            .agg(pl.col("net").sum())
        )
        expected = (per_merchant.height, int(per_merchant["net"].sum()) if per_merchant.height else 0)
        if d == first:
            expected = (expected[0] + len(repayments), expected[1] + sum(r.amount for r in repayments))
        got = read_trailer(content)
        if got != expected:
            failures.append(
                f"payout file of {d}: trailer {got[0]} transfers / {got[1]} yen, positive nets and "
                f"repayments {expected[0]} / {expected[1]} yen"
            )
    return failures


def freshness(con: duckdb.DuckDBPyConnection, stmts: pl.DataFrame, chosen: list[str]) -> list[str]:
    """Finalizing needs payments reconciled after the cut-off: else a 02 that came in time could be
    missing from the payments table and be pushed to a later settlement."""
    sel = stmts.filter(pl.col("settlement_id").is_in(chosen))
    if not sel.height:
        return []
    # a full or incremental reconciliation brings the whole table up to its as_of (an incremental
    # one rewrites only the rows that changed, so the rows' own as_of can be older)
    reconciled = con.execute(
        """
        select greatest((select max(as_of) from payments),
                        (select max(as_of) from reconcile_runs where scope in ('full', 'incremental')))
        """
    ).fetchall()[0][0]
    latest_cutoff = sel["cutoff"].max()
    if reconciled is not None and reconciled <= latest_cutoff:
        return [
            f"freshness: payments were last reconciled as of {reconciled}, not after the cut-off "
            f"{latest_cutoff} of the settlements to finalize; run the reconciliation first"
        ]
    return []


def run_checks(
    con: duckdb.DuckDBPyConnection, t: RunTables, files: dict[date, bytes | str], stmts: pl.DataFrame,
    chosen: list[str], repayments: list[Repayment] = (),
) -> tuple[list[str], dict[str, int], dict[str, int]]:
    """(failures, confirmed yen by place, the treasury's places of settled and refunded yen)."""
    figures, failures = conservation(con, t)
    treasury, treasury_failures = treasury_conservation(con)
    failures += treasury_failures
    failures += arithmetic(con, t, stmts)
    failures += payout_files(files, stmts, chosen, repayments)
    failures += freshness(con, stmts, chosen)
    return failures, figures, treasury
