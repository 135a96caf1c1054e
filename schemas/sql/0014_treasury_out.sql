-- Money out that comes back, refunds paid, and what merchants owe us (treasury.md). Facts only,
-- append-only; what is waiting or open is derived by the views below.

-- A payout transfer that came back (振込不能・組戻し), recorded by an operator with the incoming
-- bank record that brought the money back (also claimed in bank_transfer_claims).
create table returned_payouts (
    return_id       varchar primary key,   -- 'RP-' || merchant_id || '-' || payout date YYYYMMDD || '-' || n
    merchant_id     varchar not null,
    payout_date     date not null,         -- the payout date of the transfer that came back
    returned_kind   varchar not null check (returned_kind in ('payout', 'repayment')),
    repaid_return   varchar,               -- returned_kind repayment: the return it paid again
    amount          bigint not null,
    bank_code       varchar not null,      -- the account the transfer went to
    branch_code     varchar not null,
    account_type    varchar not null,
    account_number  varchar not null,
    transfer_id     varchar not null,      -- the incoming bank record (bank_records.transfer_id)
    reason          varchar not null,
    decided_by      varchar not null,
    decided_at      timestamp not null
);

-- 返却分再振込: a returned payout paid again, as a line of its own in a payout file.
create table payout_repayments (
    return_id       varchar primary key,
    merchant_id     varchar not null,
    payout_date     date not null,         -- the payout file it is in
    run_id          integer not null,      -- the settlement run that wrote it
    amount          bigint not null,
    bank_code       varchar not null,
    branch_code     varchar not null,
    account_type    varchar not null,
    account_number  varchar not null
);

-- How an operator paid a refund owed to a customer (personal data: bank details and name stay out
-- of the analysts' copy, logs and merchant reports).
create table refund_payments (
    exception_id    varchar primary key,   -- the exception resolved `refund`
    payment_id      varchar not null,
    merchant_id     varchar,
    amount          bigint not null,
    transfer_date   date not null,         -- the next bank business day after the instruction
    bank_code       varchar not null,
    branch_code     varchar not null,
    account_type    varchar not null,
    account_number  varchar not null,
    holder_name     varchar not null,      -- half-width kana, Zengin characters
    decided_by      varchar not null,
    decided_at      timestamp not null
);

-- The refund Zengin file of each transfer date as last written (it grows while instructions for
-- that date come in; the bytes hold bank details: emptied in the analysts' copy).
create table refund_files (
    transfer_date   date not null,
    version         integer not null,      -- 1, 2 … one per instruction that changed it
    file_name       varchar not null,
    sha256          varchar not null,
    transfers       integer not null,
    total           bigint not null,
    content         blob not null,
    written_at      timestamp not null,
    primary key (transfer_date, version)
);

-- A terminated merchant's final negative net (債権), with its 請求書.
create table receivables (
    receivable_id   varchar primary key,   -- 'RC-' || settlement_id
    merchant_id     varchar not null,
    settlement_id   varchar not null,      -- the final settlement whose net was negative
    amount          bigint not null,       -- owed to us (> 0) = − net
    raised_at       timestamp not null,    -- the finalizing run's as_of
    run_id          integer not null
);

-- A receivable paid: by a matching incoming transfer (decided_by 'rule') or an operator's match.
create table receivable_payments (
    receivable_id   varchar primary key,
    transfer_id     varchar not null,
    amount          bigint not null,
    decided_by      varchar not null,
    decided_at      timestamp not null
);

-- ------------------------------------------------------------------------- views for analysts

create view v_returned_payouts as
select r.return_id, r.merchant_id, r.payout_date, r.returned_kind, r.amount, r.reason,
       r.decided_by, r.decided_at, b.booking_date as returned_booking_date, b.inquiry_no,
       case when p.return_id is null then 'waiting' else 'repaid' end as state,
       p.payout_date as repaid_payout_date, p.run_id as repaid_run_id
from returned_payouts r
left join payout_repayments p using (return_id)
left join (select transfer_id, any_value(booking_date) as booking_date, any_value(inquiry_no) as inquiry_no
           from bank_records group by transfer_id) b using (transfer_id);

create view v_refunds as
select e.exception_id, e.code, e.payment_id, e.merchant_id, e.order_id, e.chain, e.amount,
       r.resolved_at as refund_decided_at,
       case when f.exception_id is null then 'owed' else 'instructed' end as state,
       f.transfer_date, f.decided_by as instructed_by, f.decided_at as instructed_at
from exception_resolutions r
join exceptions e using (exception_id)
left join refund_payments f using (exception_id)
where r.action = 'refund';

create view v_receivables as
select r.receivable_id, r.merchant_id, r.settlement_id, r.amount, r.raised_at,
       case when p.receivable_id is null then 'open' else 'paid' end as state,
       p.transfer_id, p.decided_by as matched_by, p.decided_at as paid_at
from receivables r left join receivable_payments p using (receivable_id);
