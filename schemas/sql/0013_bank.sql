-- The bank's 振込入金通知 (treasury.md): one row per data record of an accepted BANK_IN file, with
-- its lineage, like feed_records. A transfer is identified by (勘定日, 照会番号): a resent record is
-- another row with the same transfer_id, a cancellation (取消区分 1) is a row with is_cancellation.
create table bank_records (
    file_id            bigint not null,
    record_no          integer not null,      -- 1-based record number in the file (header = 1)
    transfer_id        varchar not null,      -- md5 of booking_date and inquiry_no
    inquiry_no         varchar not null,      -- 照会番号
    booking_date       date not null,         -- 勘定日
    value_date         date not null,         -- 起算日
    amount             bigint not null,       -- 金額, yen
    other_bank_amount  bigint not null,       -- うち他店券金額
    remitter_code      varchar not null,      -- 振込依頼人コード (may be zeros)
    remitter_name      varchar not null,      -- 振込依頼人名, trailing spaces trimmed
    sending_bank       varchar not null,      -- 仕向銀行名, trimmed
    sending_branch     varchar not null,      -- 仕向支店名, trimmed
    is_cancellation    boolean not null,      -- 取消区分 '1'
    edi                varchar not null,      -- EDI情報, trimmed
    file_created_at    timestamp not null,    -- 作成日 of the header (a date; 00:00)
    ingested_at        timestamp not null
);

-- Transfers received as known at t: one row per transfer_id seen by t, unless a cancellation of it
-- was ingested by t.
create macro bank_transfers_as_of(t) as table
select transfer_id,
       any_value(inquiry_no)     as inquiry_no,
       any_value(booking_date)   as booking_date,
       any_value(value_date)     as value_date,
       any_value(amount)         as amount,
       any_value(remitter_code)  as remitter_code,
       any_value(remitter_name)  as remitter_name,
       min(ingested_at)          as first_ingested_at,
       arg_min(file_id, (ingested_at, file_id, record_no))   as first_file_id,
       arg_min(record_no, (ingested_at, file_id, record_no)) as first_record_no
from bank_records
where not is_cancellation and ingested_at <= t
  and transfer_id not in (select transfer_id from bank_records where is_cancellation and ingested_at <= t)
group by transfer_id;

-- What a received transfer was recognised as, other than a chain's remittance (which is derived
-- from the remitter name): a returned payout (組戻し) or the payment of a receivable. Append-only;
-- a transfer claimed by t is never UNKNOWN_REMITTER at t.
create table bank_transfer_claims (
    transfer_id  varchar not null,
    claimed_by   varchar not null check (claimed_by in ('returned_payout', 'receivable')),
    claim_id     varchar not null,            -- the returned payout's or the receivable's id
    claimed_at   timestamp not null,          -- when the claim was recorded (its fact time)
    decided_by   varchar not null             -- operator name, or 'rule' for an automatic match
);
