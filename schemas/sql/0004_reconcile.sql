-- Reconciliation (照合). Owned by the reconciliation area.
--
-- Derived tables (payments, order_status, exceptions) are recomputed by tasks/reconcile from the
-- facts as of a time and replaced in one transaction; never edit them by hand. They carry no
-- primary key on purpose: their keys are unique by construction (tested), and index upkeep would
-- dominate a from-scratch run over millions of rows.
-- Facts of this area: exception_resolutions (operators' decisions) and reconcile_runs (a log).

-- One row per payment at the till (events sharing chain, reference, paid date/time, store, amount).
create table payments (
    payment_id                 varchar not null,     -- md5 of the event identity without the kind
    chain                      varchar not null,
    reference                  varchar not null,
    paid_date                  date not null,
    paid_time                  varchar not null,     -- HHMMSS
    store_code                 varchar not null,
    amount                     bigint not null,
    merchant_id                varchar,              -- null when the reference matches no order
    order_id                   varchar,
    has_prelim                 boolean not null,     -- a 01 速報
    has_confirmed              boolean not null,     -- a 02 確報
    has_cancel                 boolean not null,     -- a 03 速報取消
    live                       boolean not null,     -- (01 or 02) and not voided (a released CONFIRM_AFTER_CANCEL stays live)
    role                       varchar not null,     -- order_payment, extra, unmatched, voided
    prelim_stamp               boolean,              -- stamp flag of the 01
    confirmed_stamp            boolean,              -- stamp flag of the 02 (decides the stamp charge)
    expected_stamp             boolean,              -- our stamp rule (null when the order is unknown)
    transfer_date              date,                 -- 振込予定日 of the 02
    first_ingested_at          timestamp not null,   -- first sighting of any of its events
    confirmed_ingested_at      timestamp,            -- first sighting of its 02
    confirmed_file_created_at  timestamp,            -- earliest creation time of a file carrying its 02
    exception_code             varchar,              -- its matching exception (UNKNOWN_REFERENCE, PAID_AFTER_DUE, AMOUNT_MISMATCH, PAID_AFTER_CANCEL, DUPLICATE_PAYMENT)
    holding_code               varchar,              -- the open exception holding it out of settlement; null when not held
    released                   boolean not null,     -- an operator released it (release)
    refunded                   boolean not null,     -- an operator decided to refund it (never settled)
    settleable                 boolean not null,     -- live, confirmed, order's payment or released, not held, not refunded
    settlement_id              varchar,              -- the finalized settlement it is in, if any
    as_of                      timestamp not null    -- the reconciliation time this row was computed for
);

-- One row per order: its status as of the run.
create table order_status (
    merchant_id        varchar not null,
    order_id           varchar not null,
    chain              varchar not null,
    payment_reference  varchar not null,
    amount             bigint not null,
    due_date           date not null,
    status             varchar not null,  -- settled, confirmed, paid, cancelled, expired, awaiting_payment
    payment_id         varchar,           -- the order's payment
    as_of              timestamp not null
);

-- Every exception raised by the facts up to the run's as_of (open, cleared or resolved).
create table exceptions (
    exception_id   varchar not null,      -- 'EX' + 12 hex of md5(code|payment_id) or md5(code|kind|seq)
    code           varchar not null,
    holds          boolean not null,      -- holds the payment out of settlement while open
    payment_id     varchar,               -- null for FILE_SEQUENCE_GAP
    merchant_id    varchar,               -- null when unknown
    order_id       varchar,
    chain          varchar,
    reference      varchar,
    amount         bigint,
    sequence_kind  varchar,               -- FILE_SEQUENCE_GAP: SEJ_01, SEJ_02, FM_S, FM_K, CVS
    sequence_no    integer,               -- FILE_SEQUENCE_GAP: the missing number
    detail         varchar,               -- e.g. stamp flags seen vs expected
    raised_at      timestamp not null,    -- deterministic, from the facts (docs/decisions.md)
    cleared_at     timestamp,             -- when the rule cleared it by itself
    state          varchar not null,      -- open, cleared, resolved
    resolution     varchar,               -- release, refund, dismiss
    as_of          timestamp not null
);

-- Operators' decisions (fact, append-only). One per exception; they survive every rerun.
create table exception_resolutions (
    exception_id  varchar primary key,
    code          varchar not null,
    payment_id    varchar,
    action        varchar not null check (action in ('release', 'refund', 'dismiss')),
    note          varchar not null,
    resolved_by   varchar not null,
    resolved_at   timestamp not null
);

-- One row per reconciliation run (a log; the derived tables hold the result).
create table reconcile_runs (
    run_id          integer primary key,
    as_of           timestamp not null,
    merchant_id     varchar,
    since           timestamp,
    until           timestamp,
    scope           varchar not null,     -- full, incremental (since the previous run) or scoped
    orders          bigint not null,      -- rows recomputed
    payments        bigint not null,
    exceptions      bigint not null,
    open_exceptions bigint not null,      -- in the whole table after the run
    status_counts   varchar not null,     -- JSON {status: count} over the whole table
    max_file_id     bigint not null       -- highest inbound file_id when the run was made
);

-- ---------------------------------------------------------------- views for analysts (no personal data)

create view v_order_status as
select merchant_id, order_id, chain, payment_reference, amount, due_date, status, as_of
from order_status;

create view v_exceptions as
select e.exception_id as id, e.code, e.holds, e.merchant_id, e.order_id, e.chain,
       e.reference as payment_reference, e.amount, e.sequence_kind, e.sequence_no, e.detail,
       e.raised_at, e.cleared_at, e.state, e.resolution,
       r.note as resolution_note, r.resolved_by, r.resolved_at,
       p.settlement_id as settled_in           -- the payment was already paid out in this settlement
from exceptions e
left join exception_resolutions r using (exception_id)
left join payments p on p.payment_id = e.payment_id;

create view v_open_exceptions as
select v.*, e.as_of - v.raised_at as age, date_diff('day', v.raised_at, e.as_of) as age_days
from v_exceptions v join exceptions e on e.exception_id = v.id
where v.state = 'open';

create view v_daily_collections as
select o.merchant_id, e.chain, e.paid_date,
       count(*) filter (where e.kind = '01')                  as prelim_count,
       coalesce(sum(e.amount) filter (where e.kind = '01'), 0)  as prelim_amount,
       count(*) filter (where e.kind = '02')                  as confirmed_count,
       coalesce(sum(e.amount) filter (where e.kind = '02'), 0)  as confirmed_amount,
       count(*) filter (where e.kind = '03')                  as cancelled_count,
       coalesce(sum(e.amount) filter (where e.kind = '03'), 0)  as cancelled_amount
from payment_events e
left join orders o on o.chain = e.chain and o.payment_reference = e.reference
group by all;

create view v_confirmation_latency as
select p.payment_id, p.merchant_id, p.chain, p.paid_date, p.amount,
       p.paid_date + cast(strptime(p.paid_time, '%H%M%S') as time) as paid_at,
       e1.first_ingested_at as prelim_received_at,
       p.confirmed_ingested_at as confirmed_received_at,
       p.confirmed_file_created_at,
       date_diff('minute', e1.first_ingested_at, p.confirmed_ingested_at) / 60.0 as prelim_to_confirmed_hours,
       date_diff('day', p.paid_date, cast(p.confirmed_file_created_at as date)) as paid_to_confirmed_days
from payments p
join payment_events e1 on e1.payment_id = p.payment_id and e1.kind = '01'
where p.has_confirmed;
