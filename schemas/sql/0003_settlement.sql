-- Settlement facts (finalizations and their frozen lines). Owned by the settlement area.
create table settlement_finalizations (
    settlement_id  varchar primary key,
    merchant_id    varchar not null,
    period_start   date not null,
    period_end     date not null,
    cutoff         timestamp not null,
    payout_date    date not null,
    finalized_at   timestamp not null,
    finalized_by   varchar not null
);

create table settlement_lines (
    settlement_id  varchar not null,
    line_no        integer not null,
    payment_id     varchar,               -- null for fee, tax, stamp, carry and adjustment lines
    primary key (settlement_id, line_no)
);

create view finalized_payments as
select l.payment_id, l.settlement_id, f.payout_date
from settlement_lines l join settlement_finalizations f using (settlement_id)
where l.payment_id is not null;
