-- Settlement (精算) and payouts (入金). Owned by the settlement area.
--
-- Facts (append-only, never updated): finalizations with their frozen figures and lines, closed
-- payout dates, payout files (bytes kept), claw-back adjustments decided by operators, and the log
-- of runs with their drafts, changes and money-conservation figures.
-- Money is BIGINT yen; times are JST wall-clock TIMESTAMPs.

-- One row per settlement run (konbini settle / the daily flow).
create table settlement_runs (
    run_id            integer primary key,     -- 1, 2, 3 …
    as_of             timestamp not null,
    mode              varchar not null,        -- draft, finalize
    payout_date       date,                    -- the run was limited to this payout date
    settlements       integer not null,        -- statements computed
    finalized         integer not null,        -- of which finalized by this run
    check_ok          boolean not null,        -- money conservation and arithmetic held
    check_report      varchar not null,        -- JSON: figures and every failure found
    confirmed_total   bigint not null,         -- every confirmed (02) yen, split below
    settled_total     bigint not null,         -- in settlements finalized before this run
    in_run_total      bigint not null,         -- in a statement of this run
    waiting_total     bigint not null,         -- waiting for its own period's cut-off
    carried_total     bigint not null,         -- missed its period's settlement; goes to a later one
    held_total        bigint not null,         -- held by an open exception
    refunded_total    bigint not null          -- decided to be refunded to the customer
);

-- Every statement a run computed (drafts and those it finalized), with its figures.
create table settlement_drafts (
    run_id          integer not null,
    settlement_id   varchar not null,          -- merchant_id || '-' || period start YYYYMMDD
    merchant_id     varchar not null,
    cycle           integer not null,
    period_start    date not null,
    period_end      date not null,
    cutoff          timestamp not null,
    payout_date     date not null,
    payment_count   bigint not null,
    payments_total  bigint not null,
    fees            bigint not null,           -- per-payment + monthly + initial, before tax
    tax             bigint not null,
    stamps          bigint not null,
    adjustments     bigint not null,           -- signed (claw-backs are negative)
    carried_in      bigint not null,           -- signed (a negative balance carried in)
    net             bigint not null,
    state           varchar not null,          -- draft, finalized (by this run)
    previous_run_id integer,                   -- the last run that computed this settlement
    lines_added     bigint not null,
    lines_removed   bigint not null,
    primary key (run_id, settlement_id)
);

-- What changed in a statement since the previous run that computed it (figures and lines).
create table settlement_draft_changes (
    run_id         integer not null,
    settlement_id  varchar not null,
    change         varchar not null,           -- new, gone, figure, line_added, line_removed
    item           varchar not null,           -- figure name, or line kind
    payment_id     varchar,
    fee_month      date,
    before_value   bigint,
    after_value    bigint
);

-- Lines of drafts that were not finalized by their run (finalized ones live in settlement_lines):
-- the run, then the columns of settlement_lines (below, where each is explained), in its order.
create table settlement_draft_lines (
    run_id         integer not null,
    settlement_id varchar not null, line_no integer not null, payment_id varchar, kind varchar not null,
    order_id varchar, chain varchar, paid_date date, amount bigint not null, fee bigint not null,
    stamp bigint not null, fee_month date, adjustment_id varchar, carried_from date
);

-- Finalized settlements (fact): frozen for good.
create table settlement_finalizations (
    settlement_id  varchar primary key,
    merchant_id    varchar not null,
    period_start   date not null,
    period_end     date not null,
    cutoff         timestamp not null,
    payout_date    date not null,
    finalized_at   timestamp not null,         -- the run's as_of
    finalized_by   varchar not null,
    run_id         integer not null,
    cycle          integer not null,
    payment_count  bigint not null,
    payments_total bigint not null,
    fees           bigint not null,
    tax            bigint not null,
    stamps         bigint not null,
    adjustments    bigint not null,
    carried_in     bigint not null,
    net            bigint not null
);

-- Lines of finalized settlements (fact). kind: payment, monthly_fee, initial_fee, tax, adjustment,
-- carried_in. Payment lines: the payment (order, chain, paid date), amount paid, per-payment fee,
-- stamp charge, and carried_from when it missed its own period's settlement. monthly_fee lines
-- record each month covered (0 yen when the plan has no monthly fee); fee and tax lines carry the
-- charge in amount; adjustment and carried_in amounts are signed.
-- (settlement_id, line_no) is unique by construction; no index: it would double the cost of
-- freezing millions of lines (docs/decisions.md).
create table settlement_lines (
    settlement_id  varchar not null,
    line_no        integer not null,
    payment_id     varchar,               -- payment lines; adjustment lines: the payment clawed back
    kind           varchar not null,
    order_id       varchar,
    chain          varchar,
    paid_date      date,
    amount         bigint not null,
    fee            bigint not null,
    stamp          bigint not null,
    fee_month      date,                  -- monthly_fee: the month charged
    adjustment_id  varchar,
    carried_from   date                   -- start of the payment's own period when it came too late
);

-- Payout dates closed by a finalizing run: nothing more is settled into their periods; what comes
-- later goes to the next open period.
create table settlement_closures (
    payout_date  date primary key,
    cutoff       timestamp not null,
    run_id       integer not null
);

-- The Zengin payout file of each payout date (bytes kept; written to <data>/out/payouts/).
create table payout_files (
    payout_date  date primary key,
    run_id       integer not null,
    file_name    varchar not null,
    sha256       varchar not null,
    transfers    integer not null,
    total        bigint not null,
    content      blob not null
);

-- One transfer per merchant and payout date (sum of the positive nets of its settlements).
create table payout_transfers (
    payout_date     date not null,
    merchant_id     varchar not null,
    amount          bigint not null,
    bank_code       varchar not null,
    branch_code     varchar not null,
    account_type    varchar not null,
    account_number  varchar not null,
    primary key (payout_date, merchant_id)
);

-- Operators' claw-backs (fact): a negative adjustment in the merchant's next settlement.
create table settlement_adjustments (
    adjustment_id  varchar primary key,
    merchant_id    varchar not null,
    payment_id     varchar,
    amount         bigint not null,             -- signed; a claw-back is negative
    note           varchar not null,
    decided_by     varchar not null,
    decided_at     timestamp not null
);

create view finalized_payments as
select l.payment_id, l.settlement_id, f.payout_date
from settlement_lines l join settlement_finalizations f using (settlement_id)
where l.kind = 'payment';

-- ------------------------------------------------------------------------- views for analysts

-- Finalized settlements, plus the drafts of the latest run for those not finalized.
create view v_settlements as
select settlement_id, merchant_id, cycle, period_start, period_end, cutoff, payout_date,
       payment_count, payments_total, fees, tax, stamps, adjustments, carried_in, net,
       'finalized' as state, run_id, finalized_at
from settlement_finalizations
union all
select d.settlement_id, d.merchant_id, d.cycle, d.period_start, d.period_end, d.cutoff, d.payout_date,
       d.payment_count, d.payments_total, d.fees, d.tax, d.stamps, d.adjustments, d.carried_in, d.net,
       'draft' as state, d.run_id, null::timestamp as finalized_at
from settlement_drafts d
where d.run_id = (select max(run_id) from settlement_runs)
  and d.settlement_id not in (select settlement_id from settlement_finalizations);

create view v_settlement_lines as
select settlement_id, line_no, kind, payment_id, order_id, chain, paid_date, amount, fee, stamp,
       fee_month, adjustment_id, carried_from, 'finalized' as state
from settlement_lines
union all
select l.settlement_id, l.line_no, l.kind, l.payment_id, l.order_id, l.chain, l.paid_date, l.amount,
       l.fee, l.stamp, l.fee_month, l.adjustment_id, l.carried_from, 'draft' as state
from settlement_draft_lines l
where l.run_id = (select max(run_id) from settlement_runs)
  and l.settlement_id not in (select settlement_id from settlement_finalizations);
