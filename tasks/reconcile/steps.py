"""The steps of a reconciliation, each a SELECT over the facts or earlier steps (derive.py lists them
in order, creates each as a temp relation named after it, and drops them all).

Only facts known at `as_of` count (ingested, accepted, resolved or finalized at or before it). A
scoped run (`Ctx.scoped`) reads only the (chain, reference) keys of the temp table `scope.KEYS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from tasks.reconcile import key_rows
from tasks.reconcile.rules import (
    GAP_GRACE_HOURS,
    MATCHING,
    MATCHING_FALLBACK,
    RULES,
    SEQUENCE_KINDS,
    SUBJECT,
    prelim_deadline,
    relation_columns,
)
from tasks.reconcile.stamp import stamp_expected_sql


def ts(dt: datetime) -> str:
    """A naive JST datetime as a DuckDB TIMESTAMP literal (never user text)."""
    return f"timestamp '{dt.strftime('%Y-%m-%d %H:%M:%S.%f')}'"


@dataclass(frozen=True)
class Ctx:
    con: duckdb.DuckDBPyConnection
    as_of: datetime  # naive JST
    scoped: bool  # only the keys of scope.KEYS
    gaps: bool  # include FILE_SEQUENCE_GAP

    @property
    def at(self) -> str:
        return ts(self.as_of)

    def rows(self, table: str) -> str:
        """Where to read a fact table: a scoped run, its keys' rows (read once, key_rows.py)."""
        return key_rows.TABLES[table] if self.scoped else table


def payment_facts(c: Ctx) -> str:
    """One row per payment: its identity and, per kind, when it was first ingested."""
    return f"""
        select payment_id,
            any_value(chain) as chain, any_value(reference) as reference,
            any_value(paid_date) as paid_date, any_value(paid_time) as paid_time,
            any_value(store_code) as store_code, any_value(amount) as amount,
            min(ingested_at) filter (where kind = '01') as prelim_at,
            min(ingested_at) filter (where kind = '02') as confirmed_at,
            min(ingested_at) filter (where kind = '03') as cancel_at,
            min(ingested_at) as first_at,
            bool_or(stamp_flag) filter (where kind = '01') as prelim_stamp,
            bool_or(stamp_flag) filter (where kind = '02') as confirmed_stamp,
            any_value(transfer_date) filter (where kind = '02') as transfer_date,
            min(file_created_at) filter (where kind = '02') as confirmed_file_created_at,
            bool_or(barcode_stamp) as barcode_stamp
        from {c.rows('feed_records')} f
        where f.ingested_at <= {c.at}
        group by payment_id"""


def deadlines(c: Ctx) -> str:
    """PRELIM_NOT_CONFIRMED deadline per paid date (few distinct dates; the calendar is Python's)."""
    facts = c.rows("feed_records")  # a scoped run: only its keys' paid dates are joined
    sql = f"select distinct paid_date from {facts} where kind = '01' and ingested_at <= {c.at}"
    dates = [d for (d,) in c.con.execute(sql).fetchall()]
    if not dates:
        return "select null::date as paid_date, null::timestamp as pnc_deadline where false"
    rows = ", ".join(f"(date '{d.isoformat()}', {ts(prelim_deadline(d))})" for d in dates)
    return f"select * from (values {rows}) t(paid_date, pnc_deadline)"


def resolutions(c: Ctx) -> str:
    return f"""
        select payment_id,
            bool_or(action = 'release') as released,
            bool_or(action = 'refund') as refunded,
            bool_or(action = 'release' and code = 'CONFIRM_AFTER_CANCEL') as cac_released
        from exception_resolutions
        where resolved_at <= {c.at} and payment_id is not null
        group by payment_id"""


def finalized(c: Ctx) -> str:
    return f"""
        select l.payment_id, min(l.settlement_id) as settlement_id
        from settlement_lines l join settlement_finalizations f using (settlement_id)
        where f.finalized_at <= {c.at} and l.payment_id is not null
        group by l.payment_id"""


def known_orders(c: Ctx) -> str:
    return f"""
        select o.merchant_id, o.order_id, o.chain, o.payment_reference, o.amount, o.tax_mode,
               o.tax_amount, o.due_date, o.ingested_at as order_at, c.ingested_at as cancellation_at
        from {c.rows('orders')} o
        left join order_cancellations c
               on c.merchant_id = o.merchant_id and c.order_id = o.order_id and c.ingested_at <= {c.at}
        where o.ingested_at <= {c.at}"""


def matched(c: Ctx) -> str:
    """Each payment beside its order, resolutions and settlement: live or voided, its matching code."""
    expected = stamp_expected_sql("o.chain", "o.tax_mode", "a.amount", "o.tax_amount")
    matching = " ".join(f"when {cond} then '{code}'" for code, cond in MATCHING)
    cac_released = "(a.confirmed_at is not null and coalesce(r.cac_released, false))"
    return f"""
        select a.*,
            o.merchant_id, o.order_id, o.due_date, o.order_at, o.cancellation_at,
            coalesce(r.released, false) as released,
            coalesce(r.refunded, false) as refunded,
            fin.settlement_id,
            d.pnc_deadline,
            least(a.prelim_at, a.confirmed_at) as live_at,
            (a.prelim_at is not null or a.confirmed_at is not null)
              and (a.cancel_at is null or {cac_released}) as live,
            case when a.cancel_at is not null and not {cac_released} then a.cancel_at end as voided_at,
            case when a.prelim_at is null and a.confirmed_at is null then null
                 when o.order_id is null then 'UNKNOWN_REFERENCE'
                 {matching} end as base_code,
            case when o.order_id is not null then {expected} end as expected_stamp
        from rc_facts a
        left join rc_orders o on o.chain = a.chain and o.payment_reference = a.reference
        left join rc_resolutions r on r.payment_id = a.payment_id
        left join rc_finalized fin on fin.payment_id = a.payment_id
        left join rc_deadlines d on d.paid_date = a.paid_date"""


def order_payment(c: Ctx) -> str:
    """The order's payment per key: the earliest live, on-time, right-amount, not-cancelled,
    not-refunded payment (one already in a finalized settlement first: a settlement never changes);
    failing one, the earliest released payment. An aggregate per key (arg_min over the rules'
    order), not a window: most keys have one payment, and a hash aggregate beats a sort."""
    line = "(settlement_id is null, paid_date, paid_time, store_code, payment_id)"
    return f"""
        with c as (
            select chain, reference, payment_id, live_at, settlement_id, paid_date, paid_time, store_code,
                base_code is null as candidate
            from rc_matched
            where live and order_id is not null and not refunded and (base_code is null or released)
        ), k as (
            select chain, reference,
                arg_min(payment_id, {line}) filter (where candidate) as cand_id,
                arg_min(live_at, {line}) filter (where candidate) as cand_live_at,
                arg_min(payment_id, {line}) filter (where not candidate) as rel_id,
                arg_min(live_at, {line}) filter (where not candidate) as rel_live_at
            from c group by chain, reference
        )
        select chain, reference, coalesce(cand_id, rel_id) as op_id,
               case when cand_id is not null then cand_live_at else rel_live_at end as op_live_at
        from k"""


def rule_inputs(c: Ctx) -> str:
    """rc_pay: one row per payment with every column the rule table (rules.py) reads."""
    return """
        select p.*,
            coalesce(p.payment_id = o.op_id, false) as is_order_payment,
            o.op_live_at,
            -- refunded or not: a refund must not make its own DUPLICATE_PAYMENT disappear
            p.live and p.order_id is not null and p.base_code is null
              and o.op_id is not null and p.payment_id <> o.op_id as duplicate,
            coalesce(p.expected_stamp is not null and (
                (p.prelim_stamp is not null and p.prelim_stamp <> p.expected_stamp)
                or (p.confirmed_stamp is not null and p.confirmed_stamp <> p.expected_stamp)), false)
                as stamp_mismatch,
            least(case when p.prelim_stamp <> p.expected_stamp then p.prelim_at end,
                  case when p.confirmed_stamp <> p.expected_stamp then p.confirmed_at end)
                as stamp_mismatch_at,
            concat_ws(', ', 'expected ' || p.expected_stamp::int, '01 flag ' || p.prelim_stamp::int,
                      '02 flag ' || p.confirmed_stamp::int, 'barcode ' || p.barcode_stamp::int)
                as stamp_detail
        from rc_matched p
        left join rc_order_payment o on o.chain = p.chain and o.reference = p.reference"""


def raised(c: Ctx) -> str:
    """Every exception raised by as_of: one select per rule of the table, then one filter for all."""
    def subject(relation: str) -> str:  # the relation's subject columns, null for the others
        has = relation_columns(c.con, relation)
        return ", ".join(n if n in has else f"null::{t} as {n}" for n, t in SUBJECT)

    branches = [
        f"""select '{r.code}' as code, {str(r.holds).lower()} as holds, {subject(r.relation)},
                   ({r.detail})::varchar as detail, {r.raised_at} as raised_at,
                   {r.cleared_at or 'null::timestamp'} as cleared_at
            from {r.relation} where {r.where}"""
        for r in RULES if r.where is not None and (c.gaps or r.relation == "rc_pay")
    ]
    if c.gaps:
        branches.append(sequence_gaps(c))
    return f"""
        with c as ({' union all '.join(branches)})
        select 'EX' || substr(md5(concat_ws('|', code,
                coalesce(payment_id, sequence_kind, transfer_id, source), lpad(sequence_no::varchar, 6, '0'),
                strftime(bank_day, '%Y-%m-%d'))), 1, 12) as exception_id,
            c.* exclude (cleared_at),
            case when cleared_at <= {c.at} then cleared_at end as cleared_at
        from c
        where raised_at <= {c.at} and (cleared_at is null or cleared_at > raised_at)"""


def sequence_gaps(c: Ctx) -> str:
    """FILE_SEQUENCE_GAP: every number below the highest accepted one of a sequence, raised 1 hour
    after the first higher number was accepted, cleared when it is accepted itself."""
    kinds = ", ".join(f"'{k}'" for k in SEQUENCE_KINDS)
    accepted = f"""select kind, sequence_no, min(received_at) as accepted_at from inbound_files
                   where state = 'accepted' and kind in ({kinds}) and received_at <= {c.at} group by all"""
    return f"""
        select 'FILE_SEQUENCE_GAP' as code, false as holds, null::varchar as payment_id,
               null::varchar as merchant_id, null::varchar as order_id, null::varchar as chain,
               null::varchar as reference, null::bigint as amount, g.kind as sequence_kind,
               g.n::integer as sequence_no, null::varchar as source, null::date as bank_day,
               null::varchar as transfer_id, null::varchar as detail,
               g.first_higher + interval {GAP_GRACE_HOURS} hour as raised_at, acc.accepted_at as cleared_at
        from (
            select n.kind, n.n, s.suffix_min as first_higher
            from (select kind, unnest(range(1, max(sequence_no))) as n from ({accepted}) group by kind) n
            asof join (
                select kind, sequence_no,
                       min(accepted_at) over (partition by kind order by sequence_no desc
                                     rows between unbounded preceding and current row) as suffix_min
                from ({accepted})
            ) s on s.kind = n.kind and s.sequence_no > n.n
        ) g
        left join ({accepted}) acc on acc.kind = g.kind and acc.sequence_no = g.n"""


def exceptions(c: Ctx) -> str:
    """Each raised exception's state: resolved (an operator's decision wins), cleared or open."""
    return f"""
        select e.*,
            case when r.exception_id is not null then 'resolved'
                 when e.cleared_at is not null then 'cleared' else 'open' end as state,
            r.action as resolution,
            {c.at} as as_of
        from rc_raised e
        left join exception_resolutions r on r.exception_id = e.exception_id and r.resolved_at <= {c.at}"""


def holds(c: Ctx) -> str:
    """The holding code of each held payment: its first open holding exception in the rule table."""
    order_sql = " ".join(f"when '{r.code}' then {i}" for i, r in enumerate(RULES))
    return f"""
        select payment_id, arg_min(code, case code {order_sql} end) as holding_code
        from rc_exceptions where holds and state = 'open'
        group by payment_id"""


def payments(c: Ctx) -> str:
    """The rows of `payments`."""
    return f"""
        select p.payment_id, p.chain, p.reference, p.paid_date, p.paid_time, p.store_code, p.amount,
            p.merchant_id, p.order_id,
            p.prelim_at is not null as has_prelim,
            p.confirmed_at is not null as has_confirmed,
            p.cancel_at is not null as has_cancel,
            p.live,
            case when not p.live then 'voided' when p.order_id is null then 'unmatched'
                 when p.is_order_payment then 'order_payment' else 'extra' end as role,
            p.prelim_stamp, p.confirmed_stamp, p.expected_stamp, p.transfer_date,
            p.first_at as first_ingested_at, p.confirmed_at as confirmed_ingested_at,
            p.confirmed_file_created_at,
            case when p.live then coalesce(p.base_code, case when p.duplicate then '{MATCHING_FALLBACK}' end)
                 end as exception_code,
            h.holding_code,
            p.released and not p.refunded as released,
            p.refunded,
            p.live and p.confirmed_at is not null and p.order_id is not null
              and (p.is_order_payment or p.released) and h.holding_code is null and not p.refunded
              as settleable,
            p.settlement_id,
            {c.at} as as_of
        from rc_pay p left join rc_holds h using (payment_id)"""


def order_status(c: Ctx) -> str:
    """The rows of `order_status`: the first status of rules.md that applies."""
    return f"""
        select o.merchant_id, o.order_id, o.chain, o.payment_reference, o.amount, o.due_date,
            case when p.settlement_id is not null then 'settled'
                 when p.confirmed_at is not null then 'confirmed'
                 when p.payment_id is not null then 'paid'
                 when o.cancellation_at is not null then 'cancelled'
                 when {c.at} >= o.due_date + interval 1 day then 'expired'
                 else 'awaiting_payment' end as status,
            p.payment_id,
            {c.at} as as_of
        from rc_orders o
        left join (select * from rc_pay where is_order_payment) p
               on p.chain = o.chain and p.reference = o.payment_reference"""
