-- Treasury (owned by the bank area): the BANK_IN files' coverage, chain remittances and their
-- exceptions, on top of 0013 (bank_records, bank_transfers_as_of, bank_transfer_claims).

-- The days each accepted BANK_IN file covers (its header's 勘定日(自)..(至)): a fact written with
-- the file. Chain balances are evaluated on the days covered so far (treasury.md).
create table bank_files (
    file_id       bigint not null,
    created_date  date not null,      -- 作成日
    from_date     date not null,      -- 勘定日(自)
    to_date       date not null       -- 勘定日(至)
);

-- BANK_IN files carry a sequence number like the chains' files (feeds.md): the views of 0002 list
-- the sequenced kinds literally; they now include BANK_IN.
create or replace macro feed_sequence_gaps_as_of(as_of) as table
with accepted as (
    select kind, sequence_no, min(received_at) as received_at from inbound_files
    where state = 'accepted' and received_at <= as_of
      and kind in ('SEJ_01', 'SEJ_02', 'FM_S', 'FM_K', 'CVS', 'BANK_IN')
    group by all
)
select c.kind, c.n::integer as sequence_no, min(a.received_at) as first_seen_higher_at,
       min(a.received_at) + interval 1 hour as alert_from
from (select kind, unnest(range(1, max(sequence_no))) as n from accepted group by kind) c
join accepted a on a.kind = c.kind and a.sequence_no > c.n
anti join accepted x on x.kind = c.kind and x.sequence_no = c.n
group by all;

create or replace view feed_sequences as
select kind, max(sequence_no) as last_sequence_no, count(distinct sequence_no) as accepted_files,
       max(received_at) as last_received_at
from inbound_files
where state = 'accepted' and kind in ('SEJ_01', 'SEJ_02', 'FM_S', 'FM_K', 'CVS', 'BANK_IN')
group by kind;

-- Derived by reconciliation (tasks/treasury), replaced by every run that is not limited to one
-- merchant, like `exceptions`.
-- Each received transfer as known at the run's as_of, with what it was matched to.
create table bank_transfer_matches (
    transfer_id  varchar not null,
    matched_to   varchar not null,     -- source, returned_payout, receivable, unknown
    source       varchar,              -- SEJ, FM, CVS (matched_to = source)
    claim_id     varchar,              -- the returned payout's or receivable's id
    as_of        timestamp not null
);

-- Per source and covered day: what the chain owed on that day (transfer dates since the previous
-- covered day), what it paid (勘定日 that day), and the balance after it (positive: it owes us).
create table chain_balances (
    source       varchar not null,     -- SEJ, FM, CVS
    day          date not null,        -- a day covered by an accepted BANK_IN file
    expected     bigint not null,
    received     bigint not null,
    balance      bigint not null,      -- Σ expected − Σ received up to and including the day
    as_of        timestamp not null
);

-- Exceptions of the treasury have a subject of their own: a source and the first day of a balance
-- (REMITTANCE_SHORT / REMITTANCE_OVER), or a transfer (UNKNOWN_REMITTER).
alter table exceptions add column source varchar;       -- SEJ, FM, CVS
alter table exceptions add column bank_day date;        -- first covered day of the balance; a transfer's 勘定日
alter table exceptions add column transfer_id varchar;  -- UNKNOWN_REMITTER

create or replace view v_exceptions as
select e.exception_id as id, e.code, e.holds, e.merchant_id, e.order_id, e.chain,
       e.reference as payment_reference, e.amount, e.sequence_kind, e.sequence_no, e.detail,
       e.raised_at, e.cleared_at, e.state, e.resolution,
       r.note as resolution_note, r.resolved_by, r.resolved_at,
       p.settlement_id as settled_in,          -- the payment was already paid out in this settlement
       e.source, e.bank_day, e.transfer_id
from exceptions e
left join exception_resolutions r using (exception_id)
left join payments p on p.payment_id = e.payment_id;

-- ---------------------------------------------------------------- views for analysts

-- Every received record of the bank's 振込入金通知 (cancellations included), with what its transfer
-- was matched to at the last reconciliation.
create view v_bank_transfers as
select r.transfer_id, r.booking_date, r.inquiry_no, r.value_date, r.amount, r.remitter_code,
       r.remitter_name, r.sending_bank, r.sending_branch, r.is_cancellation, r.edi,
       f.name as file_name, r.record_no, r.ingested_at,
       coalesce(m.matched_to, case when r.is_cancellation then 'cancellation' end) as matched_to,
       m.source, m.claim_id
from bank_records r
join inbound_files f using (file_id)
left join bank_transfer_matches m on m.transfer_id = r.transfer_id and not r.is_cancellation;

create view v_chain_balances as
select source, day, expected, received, balance, as_of from chain_balances;
