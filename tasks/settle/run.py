"""A settlement run (精算): statements for every merchant whose cut-off has passed, drafts or final.

One call of `run_settlement` is one unit of work inside the caller's transaction:
1. target periods: every settleable confirmed payment not yet finalized is assigned, in SQL, to its
   merchant's first open period it can enter (tasks.settle.periods);
2. statements: per-payment fees and stamps are summed in SQL; the per-merchant parts that follow the
   periods in order (monthly fee once per month, initial fee, tax, carried balance) are computed
   in Python over one small row per statement (tasks.settle.statement);
3. checks: money conservation over every confirmed payment, statement arithmetic recomputed from
   the lines, payout files' trailers against the positive nets (tasks.settle.checks);
4. writes: the run and its drafts with what changed since the previous run; when finalizing and
   the checks hold, the frozen settlements, their lines, the closed payout dates and the payout
   files (bytes in the warehouse; `write_payout_files` puts them on disk after the commit).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from tasks.clock import naive_jst
from tasks.errors import KonbiniError
from tasks.settings import Settings
from tasks.settle import checks, statement
from tasks.settle.periods import days_frame, open_periods, periods_frame
from tasks.settle.zengin import Account, Remitter, Transfer, bank_names, read_trailer, write_payout_file

FIGURES = ("payment_count", "payments_total", "fees", "tax", "stamps", "adjustments", "carried_in", "net")
CHAIN_FEE_SQL = (
    "case sp.chain when 'seven' then m.fee_seven when 'lawson' then m.fee_lawson "
    "when 'famima' then m.fee_famima when 'ministop' then m.fee_ministop "
    "when 'daily' then m.fee_daily when 'seicomart' then m.fee_seicomart end"
)
STAMP_CHARGE = 200


@dataclass
class RunResult:
    run_id: int
    as_of: datetime
    mode: str
    payout_date: date | None
    check_ok: bool
    failures: list[str]
    statements: pl.DataFrame  # one row per statement with its figures, state and change counts
    changes: pl.DataFrame  # what changed since the previous run
    conservation: dict[str, int]
    finalized: list[str] = field(default_factory=list)
    payout_dates: list[date] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # wall and CPU seconds per phase


class _Phases:
    """Wall and CPU seconds (all threads) per phase of a run, for benchmarks and logs."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.laps[name] = round(now - self._t, 2)
        self.laps[f"{name}_cpu"] = round(cpu - self._cpu, 2)
        self._t, self._cpu = now, cpu


def _register(con: duckdb.DuckDBPyConnection, name: str, df: pl.DataFrame) -> None:
    con.register(f"{name}_df", df)
    con.execute(f"create or replace temp table {name} as select * from {name}_df")
    con.unregister(f"{name}_df")


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchall()[0][0]


def run_settlement(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    settings: Settings,
    *,
    payout_date: date | None = None,
    finalize: bool = False,
    by: str = "operator",
) -> RunResult:
    at = naive_jst(as_of)
    run_id = _scalar(con, "select coalesce(max(run_id), 0) + 1 from settlement_runs")
    if _scalar(con, "select count(*) from current_merchants") == 0:
        raise KonbiniError("settle: no merchant master data loaded (konbini master load …)")
    _merchants(con)
    closed = {d for (d,) in con.execute("select payout_date from settlement_closures").fetchall()}
    first, last = _date_range(con, at, payout_date)
    periods = open_periods(first, last, closed)
    _register(con, "_s_periods", periods_frame(periods))
    _register(con, "_s_days", days_frame(periods, first, last))
    con.execute(
        """
        create or replace temp table _s_floor as
        select m.merchant_id,
               coalesce((select a.after from _s_days a
                         where a.cycle = m.cycle and a.day = m.last_final_end), date '1900-01-01')
                   as floor_start
        from _s_merchants m
        """
    )
    if payout_date is not None and _scalar(
        con, "select count(*) from _s_periods where payout_date = ?", [payout_date]
    ) == 0:
        raise KonbiniError(
            f"settle --payout-date {payout_date}: no open settlement period pays on that date "
            "(not a payout date of any cycle, or already closed)"
        )
    phases = _Phases()
    _assign_payments(con, at, payout_date)
    _assign_adjustments(con)

    phases.lap("assign")
    stmts, extra_lines = statement.build(con, at, payout_date, periods)
    _register(con, "_s_statements", stmts)
    _register(con, "_s_extra", extra_lines)
    # The lines of every statement, unnumbered (numbers are given only where lines are stored).
    con.execute(
        """
        create or replace temp view _s_lines as
        select settlement_id, 'payment' as kind, payment_id, order_id, chain, paid_date, paid_time,
               amount, fee, stamp, null::date as fee_month, null::varchar as adjustment_id,
               null::integer as seq
        from _s_due
        union all
        select settlement_id, kind, payment_id, null, null, null, null, amount, 0, 0, fee_month,
               adjustment_id, seq
        from _s_extra
        """
    )

    phases.lap("statements")
    to_finalize = _finalizable(stmts, at, payout_date) if finalize else []
    files = _payout_files(con, settings, stmts, to_finalize) if to_finalize else {}
    phases.lap("payout_files")
    failures, conservation = checks.run_checks(con, files, stmts, to_finalize)
    phases.lap("checks")
    ok = not failures
    if not ok:
        to_finalize = []
        files = {}

    prev_run = _scalar(con, "select max(run_id) from settlement_runs")
    changes = _changes(con, run_id, prev_run)
    stmts = stmts.with_columns(
        pl.when(pl.col("settlement_id").is_in(to_finalize)).then(pl.lit("finalized"))
        .otherwise(pl.lit("draft")).alias("state")
    )
    stmts = _with_change_counts(stmts, changes)
    phases.lap("changes")
    _write_run(con, run_id, at, payout_date, finalize, ok, failures, conservation, stmts, changes)
    phases.lap("write_run")
    if to_finalize:
        _write_finalized(con, run_id, at, by, payout_date, stmts, to_finalize, files, periods)
        phases.lap("write_finalized")
    return RunResult(
        run_id=run_id, as_of=as_of, mode="finalize" if finalize else "draft", payout_date=payout_date,
        check_ok=ok, failures=failures, statements=stmts, changes=changes,
        conservation=conservation, finalized=sorted(to_finalize), payout_dates=sorted(files),
        timings=phases.laps,
    )


# ---------------------------------------------------------------------------------------- inputs


def _merchants(con: duckdb.DuckDBPyConnection) -> None:
    """Current master data (in force when computed) with each merchant's finalized history."""
    con.execute(
        """
        create or replace temp table _s_merchants as
        with last_final as (
            select merchant_id, max(period_end) as last_final_end,
                   arg_max(net, period_end) as last_final_net,
                   bool_or(payment_count > 0) as had_payment
            from settlement_finalizations group by merchant_id
        )
        select m.merchant_id, m.settlement_cycle::integer as cycle, m.name_kana, m.bank_code,
               m.branch_code, m.account_type, m.account_number,
               f.initial_fee, f.monthly_fee, f.fee_seven, f.fee_lawson, f.fee_famima, f.fee_ministop,
               f.fee_daily, f.fee_seicomart, f.rate_bp,
               l.last_final_end, coalesce(l.last_final_net, 0) as last_final_net,
               coalesce(l.had_payment, false) as had_payment
        from current_merchants m
        join current_fee_plans f on f.plan_id = m.fee_plan
        left join last_final l using (merchant_id)
        """
    )


def _date_range(con: duckdb.DuckDBPyConnection, at: datetime, payout_date: date | None) -> tuple[date, date]:
    lo, hi = con.execute(
        """
        select least(
                 (select min(paid_date) from payments p
                  where p.settleable and p.has_confirmed
                    and p.payment_id not in (select payment_id from finalized_payments)),
                 (select min(last_final_end) from _s_merchants),
                 (select min(decided_at)::date from settlement_adjustments)),
               (select max(confirmed_file_created_at)::date from payments where has_confirmed)
        """
    ).fetchall()[0]
    first = min(d for d in (lo, at.date() - timedelta(days=62)) if d is not None)
    last = max(d for d in (hi, at.date(), payout_date) if d is not None) + timedelta(days=75)
    return first, last


def _assign_payments(con: duckdb.DuckDBPyConnection, at: datetime, payout_date: date | None) -> None:
    """Every settleable confirmed payment not in a finalized settlement, with its target period
    (null when beyond the calendar range: it waits), whether that period is due in this run, and
    its per-payment fee and stamp charge. `_s_due` is the part in this run's statements."""
    con.execute(
        f"""
        create or replace temp table _s_pay as
        with target as (
            select p.payment_id, p.merchant_id, p.order_id, p.chain, p.paid_date, p.paid_time, p.amount,
                   coalesce(p.confirmed_stamp, false) as stamp_flag, m.cycle,
                   de.own as own_start,
                   case when de.by_end is null or dc.by_cutoff is null then null
                        else greatest(de.by_end, dc.by_cutoff, f.floor_start) end as period_start
            from payments p
            join _s_merchants m using (merchant_id)
            join _s_floor f using (merchant_id)
            left join _s_days de on de.cycle = m.cycle and de.day = p.paid_date
            left join _s_days dc on dc.cycle = m.cycle and dc.day = p.confirmed_file_created_at::date
            where p.settleable and p.has_confirmed and p.confirmed_file_created_at is not null
              and p.payment_id not in (select payment_id from finalized_payments)
        )
        select sp.*, per.period_end, per.payout_date, per.cutoff,
               coalesce(per.cutoff < $at or per.payout_date = $pd, false) as due,
               sp.merchant_id || '-' || strftime(sp.period_start, '%Y%m%d') as settlement_id,
               {CHAIN_FEE_SQL} + (sp.amount * m.rate_bp) // 10000 as fee,
               case when sp.stamp_flag then {STAMP_CHARGE} else 0 end as stamp
        from target sp
        join _s_merchants m using (merchant_id)
        left join _s_periods per on per.cycle = sp.cycle and per.period_start = sp.period_start
        """,
        {"at": at, "pd": payout_date},
    )
    con.execute("create or replace temp view _s_due as select * from _s_pay where due")


def _assign_adjustments(con: duckdb.DuckDBPyConnection) -> None:
    """Claw-backs not yet in a finalized settlement go to the first open period whose cut-off is at
    or after the decision."""
    con.execute(
        """
        create or replace temp table _s_adj as
        select a.adjustment_id, a.merchant_id, a.payment_id, a.amount,
               greatest(dc.by_cutoff, f.floor_start) as period_start
        from settlement_adjustments a
        join _s_merchants m using (merchant_id)
        join _s_floor f using (merchant_id)
        left join _s_days dc on dc.cycle = m.cycle and dc.day = a.decided_at::date
        where a.adjustment_id not in (
            select adjustment_id from settlement_lines where adjustment_id is not null)
        """
    )


# ------------------------------------------------------------------------------ finalization


def _finalizable(stmts: pl.DataFrame, at: datetime, payout_date: date | None) -> list[str]:
    """Statements whose cut-off has passed (limited to one payout date when given). Settlements of
    one merchant are finalized in period order: an earlier one left out blocks the run."""
    due = stmts.filter(pl.col("cutoff") < at)
    chosen = due if payout_date is None else due.filter(pl.col("payout_date") == payout_date)
    blocked = (
        due.join(chosen.group_by("merchant_id").agg(pl.col("period_start").min().alias("first")),
                 on="merchant_id")
        .filter(pl.col("period_start") < pl.col("first"))
    )
    if blocked.height:
        names = ", ".join(blocked["settlement_id"].to_list()[:10])
        raise KonbiniError(
            f"settle --finalize --payout-date {payout_date}: earlier settlements of the same merchants "
            f"are not finalized yet ({names}); settlements are finalized in period order — finalize "
            "their payout dates first, or run without --payout-date"
        )
    return chosen["settlement_id"].to_list()


def _payout_files(
    con: duckdb.DuckDBPyConnection, settings: Settings, stmts: pl.DataFrame, chosen: list[str]
) -> dict[date, bytes | str]:
    """payout date -> file bytes (or the reason it cannot be written). One transfer per merchant and
    payout date: the sum of the positive nets of its settlements with that date."""
    acct = settings.payout_account
    try:
        bank_kana, branch_kana = bank_names(acct.bank_code, acct.branch_code)
    except ValueError as e:
        return {d: f"our payout account: {e}" for d in stmts["payout_date"].unique().to_list()}
    remitter = Remitter(
        acct.remitter_code, acct.remitter_name,
        Account(acct.bank_code, bank_kana, acct.branch_code, branch_kana, acct.account_type,
                acct.account_number),
    )
    sel = stmts.filter(pl.col("settlement_id").is_in(chosen))
    accounts = {r[0]: r[1:] for r in con.execute(
        "select merchant_id, name_kana, bank_code, branch_code, account_type, account_number "
        "from _s_merchants").fetchall()}
    out: dict[date, bytes | str] = {}
    for (pd_,), group in sel.group_by(["payout_date"], maintain_order=True):
        per_merchant = (
            group.filter(pl.col("net") > 0).group_by("merchant_id").agg(pl.col("net").sum())
            .sort("merchant_id")
        )
        transfers = []
        try:
            for merchant_id, amount in per_merchant.iter_rows():
                name_kana, bank, branch, atype, number = accounts[merchant_id]
                try:
                    bk, brk = bank_names(bank, branch)
                except ValueError as e:
                    raise ValueError(f"{merchant_id}: {e}") from None
                transfers.append(Transfer(Account(bank, bk, branch, brk, atype, number), name_kana,
                                          int(amount), merchant_id))
            out[pd_] = write_payout_file(remitter, pd_, transfers)
        except ValueError as e:
            out[pd_] = f"payout file of {pd_}: {e}"
    return out


def payout_file_name(d: date) -> str:
    return f"ZENGIN_{d:%Y%m%d}.txt"


# ---------------------------------------------------------------------------------------- diff


def _changes(con: duckdb.DuckDBPyConnection, run_id: int, prev_run: int | None) -> pl.DataFrame:
    """Per statement, what changed since the last run that computed it: figures before/after and
    lines added or removed; statements of the previous run that are gone."""
    con.execute(
        """
        create or replace temp table _s_prev as
        select s.settlement_id, max(d.run_id) as prev_run
        from _s_statements s join settlement_drafts d using (settlement_id)
        group by s.settlement_id
        """
    )
    figures = " union all ".join(
        f"select s.settlement_id, 'figure' as change, '{f}' as item, null::varchar as payment_id, "
        f"null::date as fee_month, d.{f}::bigint as before_value, s.{f}::bigint as after_value "
        f"from _s_statements s join _s_prev p using (settlement_id) "
        f"join settlement_drafts d on d.run_id = p.prev_run and d.settlement_id = s.settlement_id "
        f"where d.{f} <> s.{f}"
        for f in FIGURES
    )
    keys = "kind, payment_id, fee_month, adjustment_id, amount"
    lkeys = "l.kind, l.payment_id, l.fee_month, l.adjustment_id, l.amount"
    sql = f"""
        {figures}
        union all
        select settlement_id, 'new', 'statement', null, null, null, s.net
        from _s_statements s where settlement_id not in (select settlement_id from _s_prev)
        union all
        select d.settlement_id, 'gone', 'statement', null, null, d.net, null
        from settlement_drafts d
        where d.run_id = $prev and d.state = 'draft'
          and d.settlement_id not in (select settlement_id from _s_statements)
          and d.settlement_id not in (select settlement_id from settlement_finalizations)
        union all
        select settlement_id, 'line_added', kind, payment_id, fee_month, null, amount from (
            select settlement_id, {keys} from _s_lines
            where settlement_id in (select settlement_id from _s_prev)
            except
            select l.settlement_id, {lkeys}
            from settlement_draft_lines l join _s_prev p
              on l.run_id = p.prev_run and l.settlement_id = p.settlement_id)
        union all
        select settlement_id, 'line_removed', kind, payment_id, fee_month, amount, null from (
            select l.settlement_id, {lkeys}
            from settlement_draft_lines l join _s_prev p
              on l.run_id = p.prev_run and l.settlement_id = p.settlement_id
            except
            select settlement_id, {keys} from _s_lines
            where settlement_id in (select settlement_id from _s_prev))
    """
    df = con.sql(sql, params={"prev": prev_run}).pl()
    return df.select(pl.lit(run_id).cast(pl.Int32).alias("run_id"), pl.all()).sort(
        ["settlement_id", "change", "item", "payment_id"], nulls_last=True
    )


def _with_change_counts(stmts: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    counts = changes.group_by("settlement_id").agg(
        (pl.col("change") == "line_added").sum().cast(pl.Int64).alias("lines_added"),
        (pl.col("change") == "line_removed").sum().cast(pl.Int64).alias("lines_removed"),
    )
    return (
        stmts.join(counts, on="settlement_id", how="left")
        .with_columns(pl.col("lines_added", "lines_removed").fill_null(0))
    )


# -------------------------------------------------------------------------------------- writes

# Lines numbered for storage: payments by paid date and time, then fees, tax, adjustments, carry.
NUMBERED_LINES = """
select d.settlement_id,
       row_number() over (partition by d.settlement_id
                          order by d.paid_date, d.paid_time, d.chain, d.payment_id)::integer as line_no,
       d.payment_id, 'payment' as kind, d.order_id, d.chain, d.paid_date, d.amount, d.fee, d.stamp,
       null::date as fee_month, null::varchar as adjustment_id,
       case when d.period_start > d.own_start then d.own_start end as carried_from
from _s_due d
where d.settlement_id in (select settlement_id from _s_stmts_out where state = '{state}')
union all
select e.settlement_id, (s.payment_count + e.seq)::integer, e.payment_id, e.kind, null, null, null,
       e.amount, 0, 0, e.fee_month, e.adjustment_id, null
from _s_extra e join _s_stmts_out s using (settlement_id)
where s.state = '{state}'
"""


def _write_run(con, run_id, at, payout_date, finalize, ok, failures, conservation, stmts, changes) -> None:
    report = json.dumps({"failures": failures, "conservation": conservation}, ensure_ascii=False,
                        sort_keys=True)
    con.execute(
        "insert into settlement_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, at, "finalize" if finalize else "draft", payout_date, stmts.height,
         int((stmts["state"] == "finalized").sum()) if stmts.height else 0, ok, report,
         conservation["confirmed"], conservation["settled"], conservation["in_run"],
         conservation["waiting"], conservation["carried"], conservation["held"],
         conservation["refunded"]],
    )
    _register(con, "_s_stmts_out", stmts)
    con.execute(
        f"""
        insert into settlement_drafts
        select {run_id}, s.settlement_id, s.merchant_id, s.cycle, s.period_start, s.period_end, s.cutoff,
               s.payout_date, {", ".join("s." + f for f in FIGURES)}, s.state, p.prev_run,
               s.lines_added, s.lines_removed
        from _s_stmts_out s left join _s_prev p using (settlement_id)
        """
    )
    _register(con, "_s_changes_out", changes)
    con.execute("insert into settlement_draft_changes select * from _s_changes_out")
    con.execute(
        f"""
        insert into settlement_draft_lines
        select {run_id}, * from ({NUMBERED_LINES.format(state="draft")})
        """
    )


def _write_finalized(con, run_id, at, by, payout_date, stmts, chosen, files, periods) -> None:
    con.execute(
        f"""
        insert into settlement_finalizations
        select settlement_id, merchant_id, period_start, period_end, cutoff, payout_date, $at, $by,
               {run_id}, cycle, {", ".join(FIGURES)}
        from _s_stmts_out where state = 'finalized'
        """,
        {"at": at, "by": by},
    )
    con.execute(
        f"""
        insert into settlement_lines {NUMBERED_LINES.format(state="finalized")}
        """
    )
    # Close every payout date whose cut-off has passed (only the given one when limited to it).
    closing = sorted({
        (p.payout_date, p.cutoff) for ps in periods.values() for p in ps
        if p.cutoff < at and (payout_date is None or p.payout_date == payout_date)
    })
    for d, cutoff in closing:
        con.execute("insert or ignore into settlement_closures values (?, ?, ?)", [d, cutoff, run_id])
    for d, content in sorted(files.items()):
        assert isinstance(content, bytes)
        count, total = read_trailer(content)
        con.execute(
            "insert into payout_files values (?, ?, ?, ?, ?, ?, ?)",
            [d, run_id, payout_file_name(d), hashlib.sha256(content).hexdigest(), count, total, content],
        )
    con.execute(
        """
        insert into payout_transfers
        select s.payout_date, s.merchant_id, sum(s.net), m.bank_code, m.branch_code, m.account_type,
               m.account_number
        from _s_stmts_out s join _s_merchants m using (merchant_id)
        where s.state = 'finalized' and s.net > 0
        group by all
        """
    )


def write_payout_files(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """Put every payout file of the warehouse on disk under <out>/payouts (after the commit; a crash
    before this is repaired by the next run). Atomic per file; unchanged files are left alone."""
    target = out_dir / "payouts"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sha, content in con.execute(
        "select file_name, sha256, content from payout_files order by payout_date"
    ).fetchall():
        path = target / name
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha:
            continue
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(content)
        os.replace(tmp, path)
        written.append(path)
    return written


def settle(
    settings: Settings,
    as_of: datetime,
    *,
    payout_date: date | None = None,
    finalize: bool = False,
    by: str = "operator",
) -> RunResult:
    """One settlement run as its own unit of work, then the payout files put on disk."""
    from tasks.warehouse import Warehouse

    wh = Warehouse(settings.warehouse_path)
    with wh.write() as con:
        result = run_settlement(con, as_of, settings, payout_date=payout_date, finalize=finalize, by=by)
    with wh.session() as con:
        write_payout_files(con, settings.out_dir)
    return result
