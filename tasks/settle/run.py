"""A settlement run (精算): statements for every merchant whose cut-off has passed, drafts or final.

One call of `run_settlement` is one unit of work inside the caller's transaction:
1. assignment: every settleable confirmed payment and claw-back not yet finalized goes to its
   merchant's first open period it can enter; the periods due in this run are known
   (tasks.settle.assign);
2. statements: per-payment fees and stamps summed in SQL, the per-merchant parts that follow the
   periods in order in Python (tasks.settle.statement, with the rules of tasks.settle.charges);
3. checks: money conservation, statement arithmetic, payout files' trailers, freshness
   (tasks.settle.checks);
4. writes: the run and its drafts with what changed since the previous run (tasks.settle.diff);
   when finalizing and the checks hold, the frozen settlements, their lines, the closed payout dates
   and the payout files (tasks.settle.payouts; `write_payout_files` puts them on disk after the
   commit).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import polars as pl

from tasks.clock import naive_jst
from tasks.errors import KonbiniError
from tasks.settings import Settings
from tasks.settle import checks, diff, payouts, statement
from tasks.settle.assign import Assignment, Scope, assign, merchant_cycles
from tasks.settle.statement import FIGURES
from tasks.settle.tables import RunTables, register, scalar
from tasks.treasury import receivables, returns
from tasks.treasury.conservation import require_conserved


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
    treasury: dict[str, int]  # settled and refunded yen by place (tasks.treasury.conservation)
    finalized: list[str] = field(default_factory=list)
    payout_dates: list[date] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # wall and CPU seconds per phase
    next_cutoff: datetime | None = None  # the first cut-off not passed yet (naive JST) …
    next_payout_date: date | None = None  # … and the payout date it belongs to


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


def run_settlement(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    settings: Settings,
    *,
    payout_date: date | None = None,
    finalize: bool = False,
    by: str = "operator",
) -> RunResult:
    """One run as of `as_of` in the caller's transaction: drafts of every due statement, and with
    `finalize` the frozen settlements and payout files when the checks hold."""
    run_id = scalar(con, "select coalesce(max(run_id), 0) + 1 from settlement_runs")
    phases = _Phases()
    receivables.match_automatic(con, as_of)  # a receivable paid is no longer owed (treasury.md)
    a = assign(con, Scope(naive_jst(as_of), payout_date))
    t = a.tables
    phases.lap("assign")
    stmts = _statements(con, a)
    phases.lap("statements")
    to_finalize = _finalizable(stmts, a) if finalize else []
    repay = returns.due_repayments(con, t.merchants) if to_finalize else []
    files = payouts.build_files(con, t, settings, stmts, to_finalize, repay) if to_finalize else {}
    phases.lap("payout_files")
    failures, conservation, treasury = checks.run_checks(con, t, files, stmts, to_finalize, repay)
    phases.lap("checks")
    ok = not failures
    if not ok:
        to_finalize, files, repay = [], {}, []
    changes = diff.changes(con, t, run_id, scalar(con, "select max(run_id) from settlement_runs"))
    stmts = stmts.with_columns(
        pl.when(pl.col("settlement_id").is_in(to_finalize)).then(pl.lit("finalized"))
        .otherwise(pl.lit("draft")).alias("state")
    )
    stmts = diff.with_change_counts(stmts, changes)
    phases.lap("changes")
    report = {"failures": failures, "conservation": conservation, "treasury": treasury}
    _write_run(con, t, run_id, a.scope, finalize, ok, report, stmts, changes)
    phases.lap("write_run")
    if to_finalize:
        _write_finalized(con, a, run_id, by, files, repay)
        receivables.raise_receivables(con, run_id, a.scope.at)
        # what this run wrote must keep every yen in one place too; else the whole run is undone
        require_conserved(con, f"settlement run {run_id} (finalize)")
        phases.lap("write_finalized")
    nxt = a.next_cutoff(merchant_cycles(con, t))
    return RunResult(
        run_id=run_id, as_of=as_of, mode="finalize" if finalize else "draft", payout_date=payout_date,
        check_ok=ok, failures=failures, statements=stmts, changes=changes,
        conservation=conservation, treasury=treasury, finalized=sorted(to_finalize),
        payout_dates=sorted(files),
        timings=phases.laps, next_cutoff=nxt and nxt.cutoff, next_payout_date=nxt and nxt.payout_date,
    )


def _statements(con: duckdb.DuckDBPyConnection, a: Assignment) -> pl.DataFrame:
    """The statements of the due periods, registered with their lines for the checks and writes."""
    t = a.tables
    stmts, extra_lines = statement.build(con, t, a.due())
    register(con, t.statements, stmts)
    register(con, t.extra, extra_lines)
    # The lines of every statement, unnumbered (numbers are given only where lines are stored).
    con.execute(
        f"""
        create or replace temp view {t.lines} as
        select s.settlement_id, 'payment' as kind, d.payment_id, d.order_id, d.chain, d.paid_date,
               d.paid_time, d.amount, d.fee, d.stamp, null::date as fee_month,
               null::varchar as adjustment_id, null::integer as seq
        from {t.due} d join {t.statements} s using (merchant_id, period_start)
        union all
        select settlement_id, kind, payment_id, null, null, null, null, amount, 0, 0, fee_month,
               adjustment_id, seq
        from {t.extra}
        """
    )
    return stmts


def _finalizable(stmts: pl.DataFrame, a: Assignment) -> list[str]:
    """Statements whose cut-off has passed (limited to one payout date when given). Settlements of
    one merchant are finalized in period order: an earlier one left out blocks the run."""
    passed = {(p.cycle, p.start) for ps in a.periods.values() for p in ps if a.scope.cutoff_passed(p)}
    due = stmts.filter(pl.Series([k in passed for k in stmts.select("cycle", "period_start").iter_rows()],
                                 dtype=pl.Boolean))
    payout_date = a.scope.payout_date
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


# Lines numbered for storage: payments by paid date and time, then fees, tax, adjustments, carry.
NUMBERED_LINES = """
select s.settlement_id,
       row_number() over (partition by s.settlement_id
                          order by d.paid_date, d.paid_time, d.chain, d.payment_id)::integer as line_no,
       d.payment_id, 'payment' as kind, d.order_id, d.chain, d.paid_date, d.amount, d.fee, d.stamp,
       null::date as fee_month, null::varchar as adjustment_id,
       case when d.period_start > d.own_start then d.own_start end as carried_from
from {t.due} d join {t.output} s using (merchant_id, period_start)
where s.state = '{state}'
union all
select e.settlement_id, (s.payment_count + e.seq)::integer, e.payment_id, e.kind, null, null, null,
       e.amount, 0, 0, e.fee_month, e.adjustment_id, null
from {t.extra} e join {t.output} s using (settlement_id)
where s.state = '{state}'
"""


def _write_run(con, t: RunTables, run_id, scope: Scope, finalize, ok, report, stmts, changes) -> None:
    c = report["conservation"]
    con.execute(
        "insert into settlement_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, scope.at, "finalize" if finalize else "draft", scope.payout_date, stmts.height,
         int((stmts["state"] == "finalized").sum()) if stmts.height else 0, ok,
         json.dumps(report, ensure_ascii=False, sort_keys=True),
         c["confirmed"], c["settled"], c["in_run"], c["waiting"], c["carried"], c["held"], c["refunded"]],
    )
    register(con, t.output, stmts)
    con.execute(
        f"""
        insert into settlement_drafts
        select {run_id}, s.settlement_id, s.merchant_id, s.cycle, s.period_start, s.period_end, s.cutoff,
               s.payout_date, {", ".join("s." + f for f in FIGURES)}, s.state, p.prev_run,
               s.lines_added, s.lines_removed
        from {t.output} s left join {t.previous} p using (settlement_id)
        """
    )
    register(con, t.changes, changes)
    con.execute(f"insert into settlement_draft_changes select * from {t.changes}")
    con.execute(
        f"insert into settlement_draft_lines select {run_id}, * from "
        f"({NUMBERED_LINES.format(t=t, state='draft')})"
    )


def _write_finalized(con, a: Assignment, run_id: int, by: str, files: dict, repay: list) -> None:
    t = a.tables
    con.execute(
        f"""
        insert into settlement_finalizations
        select settlement_id, merchant_id, period_start, period_end, cutoff, payout_date, $at, $by,
               {run_id}, cycle, {", ".join(FIGURES)}
        from {t.output} where state = 'finalized'
        """,
        {"at": a.scope.at, "by": by},
    )
    con.execute(f"insert into settlement_lines {NUMBERED_LINES.format(t=t, state='finalized')}")
    # Close every payout date whose cut-off has passed (only the given one when limited to it).
    closing = sorted({
        (p.payout_date, p.cutoff) for ps in a.periods.values() for p in ps if a.scope.closes(p)
    })
    for d, cutoff in closing:
        con.execute("insert or ignore into settlement_closures values (?, ?, ?)", [d, cutoff, run_id])
    payouts.store_files(con, t, run_id, files, repay)
