"""Which settlement each payment and claw-back goes to, and which periods a run computes.

A payment goes to the first open period of its merchant's cycle it can enter (tasks.settle.periods,
set-based over millions of payments). A period is *due* in a run when its cut-off has passed, or
when the run previews or finalizes its payout date (`Scope.is_due`, the one place of that rule):
the payments and claw-backs of due periods make the run's statements; the others wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb

from tasks.errors import KonbiniError
from tasks.settle.calendar import Period
from tasks.settle.charges import CHAIN_FEE_COLUMNS, payment_fee_sql, stamp_charge_sql
from tasks.settle.periods import days_frame, open_periods, periods_frame
from tasks.settle.tables import RunTables, register, scalar

# the calendar range of a run: before its first unsettled payment / after its latest 02 file
DAYS_BEFORE = 62
DAYS_AFTER = 75


@dataclass(frozen=True)
class Scope:
    """What a run settles: as of `at` (naive JST); with `payout_date`, that date's settlements."""

    at: datetime
    payout_date: date | None = None

    def cutoff_passed(self, p: Period) -> bool:
        return p.cutoff < self.at

    def is_due(self, p: Period) -> bool:
        """The period's statements are computed by this run: its cut-off has passed, or the run is
        limited to its payout date (a preview before the cut-off)."""
        return self.cutoff_passed(p) or p.payout_date == self.payout_date

    def closes(self, p: Period) -> bool:
        """A finalizing run closes the period's payout date (tasks.settle.run)."""
        return self.cutoff_passed(p) and self.payout_date in (None, p.payout_date)


@dataclass
class Assignment:
    scope: Scope
    periods: dict[int, list[Period]]  # open periods per cycle, in order
    tables: RunTables = field(default_factory=RunTables)

    def due(self) -> dict[int, list[Period]]:
        return {c: [p for p in ps if self.scope.is_due(p)] for c, ps in self.periods.items()}

    def next_cutoff(self, cycles: set[int]) -> Period | None:
        """The first period of the given cycles whose cut-off has not passed."""
        waiting = [p for c in cycles for p in self.periods.get(c, []) if not self.scope.cutoff_passed(p)]
        return min(waiting, key=lambda p: (p.cutoff, p.payout_date), default=None)


def assign(con: duckdb.DuckDBPyConnection, scope: Scope) -> Assignment:
    """Make the run's tables: merchants, open periods, and every payment and claw-back not finalized
    with its target period and whether that period is due."""
    t = RunTables()
    if scalar(con, "select count(*) from current_merchants") == 0:
        raise KonbiniError("settle: no merchant master data loaded (konbini master load …)")
    _merchants(con, t)
    closed = {d for (d,) in con.execute("select payout_date from settlement_closures").fetchall()}
    first, last = _date_range(con, t, scope)
    a = Assignment(scope, open_periods(first, last, closed), t)
    if scope.payout_date is not None and not any(
        p.payout_date == scope.payout_date for ps in a.periods.values() for p in ps
    ):
        raise KonbiniError(
            f"settle --payout-date {scope.payout_date}: no open settlement period pays on that date "
            "(not a payout date of any cycle, or already closed)"
        )
    register(con, t.periods, periods_frame(a.periods, scope.is_due))
    register(con, t.days, days_frame(a.periods, first, last))
    con.execute(
        f"""
        create or replace temp table {t.floor} as
        select m.merchant_id,
               coalesce((select a.after from {t.days} a
                         where a.cycle = m.cycle and a.day = m.last_final_end), date '1900-01-01')
                   as floor_start
        from {t.merchants} m
        """
    )
    _assign_payments(con, t)
    _assign_adjustments(con, t)
    return a


def merchant_cycles(con: duckdb.DuckDBPyConnection, t: RunTables) -> set[int]:
    return {c for (c,) in con.execute(f"select distinct cycle from {t.merchants}").fetchall()}


def _merchants(con: duckdb.DuckDBPyConnection, t: RunTables) -> None:
    """Current master data (in force when computed) with each merchant's finalized history."""
    con.execute(
        f"""
        create or replace temp table {t.merchants} as
        with last_final as (
            select merchant_id, max(period_end) as last_final_end,
                   -- nothing is carried past a settlement whose negative net became a receivable
                   case when arg_max(settlement_id, period_end) in (select settlement_id from receivables)
                        then 0 else arg_max(net, period_end) end as last_final_net,
                   bool_or(payment_count > 0) as had_payment
            from settlement_finalizations group by merchant_id
        )
        select m.merchant_id, m.settlement_cycle::integer as cycle, m.name_kana, m.bank_code,
               m.branch_code, m.account_type, m.account_number,
               f.initial_fee, f.monthly_fee, {", ".join("f." + c for c in CHAIN_FEE_COLUMNS.values())},
               f.rate_bp,
               l.last_final_end, coalesce(l.last_final_net, 0) as last_final_net,
               coalesce(l.had_payment, false) as had_payment
        from current_merchants m
        join current_fee_plans f on f.plan_id = m.fee_plan
        left join last_final l using (merchant_id)
        """
    )


def _date_range(con: duckdb.DuckDBPyConnection, t: RunTables, scope: Scope) -> tuple[date, date]:
    lo, hi = con.execute(
        f"""
        select least(
                 (select min(paid_date) from payments p
                  where p.settleable and p.has_confirmed
                    and p.payment_id not in (select payment_id from finalized_payments)),
                 (select min(last_final_end) from {t.merchants}),
                 (select min(decided_at)::date from settlement_adjustments)),
               (select max(confirmed_file_created_at)::date from payments where has_confirmed)
        """
    ).fetchall()[0]
    today = scope.at.date()
    first = min(d for d in (lo, today - timedelta(days=DAYS_BEFORE)) if d is not None)
    last = max(d for d in (hi, today, scope.payout_date) if d is not None) + timedelta(days=DAYS_AFTER)
    return first, last


def _assign_payments(con: duckdb.DuckDBPyConnection, t: RunTables) -> None:
    """Every settleable confirmed payment not in a finalized settlement, with its target period
    (null when beyond the calendar range: it waits), whether that period is due in this run, and
    its per-payment fee and stamp charge. `due` is the part in this run's statements."""
    con.execute(
        f"""
        create or replace temp table {t.payments} as
        with target as (
            select p.payment_id, p.merchant_id, p.order_id, p.chain, p.paid_date, p.paid_time, p.amount,
                   coalesce(p.confirmed_stamp, false) as stamp_flag, m.cycle,
                   de.own as own_start,
                   case when de.by_end is null or dc.by_cutoff is null then null
                        else greatest(de.by_end, dc.by_cutoff, f.floor_start) end as period_start
            from payments p
            join {t.merchants} m using (merchant_id)
            join {t.floor} f using (merchant_id)
            left join {t.days} de on de.cycle = m.cycle and de.day = p.paid_date
            left join {t.days} dc on dc.cycle = m.cycle and dc.day = p.confirmed_file_created_at::date
            where p.settleable and p.has_confirmed and p.confirmed_file_created_at is not null
              and p.payment_id not in (select payment_id from finalized_payments)
        )
        select sp.*, per.period_end, per.payout_date, per.cutoff,
               coalesce(per.due, false) as due,
               {payment_fee_sql("sp.chain", "sp.amount", "m")} as fee,
               {stamp_charge_sql("sp.stamp_flag")} as stamp
        from target sp
        join {t.merchants} m using (merchant_id)
        left join {t.periods} per on per.cycle = sp.cycle and per.period_start = sp.period_start
        """
    )
    con.execute(f"create or replace temp view {t.due} as select * from {t.payments} where due")


def _assign_adjustments(con: duckdb.DuckDBPyConnection, t: RunTables) -> None:
    """Claw-backs not yet in a finalized settlement go to the first open period whose cut-off is at
    or after the decision."""
    con.execute(
        f"""
        create or replace temp table {t.adjustments} as
        select a.adjustment_id, a.merchant_id, a.payment_id, a.amount,
               greatest(dc.by_cutoff, f.floor_start) as period_start,
               coalesce(per.due, false) as due
        from settlement_adjustments a
        join {t.merchants} m using (merchant_id)
        join {t.floor} f using (merchant_id)
        left join {t.days} dc on dc.cycle = m.cycle and dc.day = a.decided_at::date
        left join {t.periods} per
          on per.cycle = m.cycle and per.period_start = greatest(dc.by_cutoff, f.floor_start)
        where a.adjustment_id not in (
            select adjustment_id from settlement_lines where adjustment_id is not null)
        """
    )
