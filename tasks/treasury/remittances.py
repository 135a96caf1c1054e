"""Chain remittances (入金消込, treasury.md): what each received transfer was, as known at a time.

Steps of the reconciliation (tasks/reconcile/derive.py lists them), each a SELECT:

    transfers(ctx)  -> rc_bank_transfers: one row per transfer (勘定日, 照会番号) first received by as_of:
                       its amount, the source its remitter name names (SEJ, FM, CVS or null), its claim
                       (returned payout, receivable: bank_transfer_claims) and when it was received,
                       cancelled and claimed; `matched_to` as of as_of
    matches(ctx)    -> rc_bank_matches: the rows of `bank_transfer_matches`

A transfer's claim wins over its remitter name: a claim is a decision about that very transfer.
UNKNOWN_REMITTER (tasks/reconcile/rules.py) reads rc_bank_transfers: raised when a transfer with no
source's name is received, cleared when it is claimed or cancelled (an operator may dismiss it).
The relations are empty in a run limited to one merchant (`Ctx.gaps` false): they are global.
"""

from __future__ import annotations

from tasks.reconcile.steps import Ctx
from tasks.settings import get_settings


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sources_sql() -> str:
    """(source, remitter_name) of the configured remitter names, as a relation."""
    rows = ", ".join(f"({_text(s)}, {_text(n)})" for s, n in get_settings().remitters.by_source().items())
    return f"(select * from (values {rows}) t(source, remitter_name))"


def transfers(c: Ctx) -> str:
    none = "" if c.gaps else "and false"
    return f"""
        with r as (  -- grouped by the identity (勘定日, 照会番号) itself: transfer_id is its md5
            select any_value(transfer_id) as transfer_id,
                min(ingested_at) filter (where not is_cancellation) as first_at,
                min(ingested_at) filter (where is_cancellation) as cancelled_at,
                booking_date as bank_day, inquiry_no,
                arg_min(amount, ingested_at) filter (where not is_cancellation) as amount,
                arg_min(trim(remitter_name), ingested_at) filter (where not is_cancellation) as remitter_name
            from bank_records where ingested_at <= {c.at} {none}
            group by booking_date, inquiry_no
        ), k as (
            select transfer_id, min(claimed_at) as claimed_at,
                   arg_min(claimed_by, (claimed_at, claim_id)) as claimed_by,
                   arg_min(claim_id, (claimed_at, claim_id)) as claim_id
            from bank_transfer_claims where claimed_at <= {c.at} {none}
            group by transfer_id
        )
        select r.*, s.source, k.claimed_by, k.claim_id, k.claimed_at,
            case when r.cancelled_at is not null then 'cancelled'
                 when k.claimed_by is not null then k.claimed_by
                 when s.source is not null then 'source' else 'unknown' end as matched_to
        from r
        left join {sources_sql()} s on s.remitter_name = r.remitter_name
        left join k using (transfer_id)
        where r.first_at is not null  -- a cancellation of a transfer never received: nothing came in"""


def matches(c: Ctx) -> str:
    return f"""
        select transfer_id, matched_to, case when matched_to = 'source' then source end as source,
               claim_id, {c.at} as as_of
        from rc_bank_transfers"""
