-- Records of the chains' accepted result files (速報 01, 確報 02, 速報取消 03), one row per record
-- with its lineage. A record re-sent in another file is another row with the same event identity;
-- `payment_events` shows one row per event.

create table feed_records (
    file_id          bigint not null,
    record_no        integer not null,        -- record (fixed width) or line (CSV) number, 1-based
    feed             varchar not null,        -- SEJ, FM, CVS
    chain            varchar not null,
    kind             varchar not null,        -- 01 preliminary, 02 confirmed, 03 preliminary cancelled
    reference        varchar not null,        -- payment reference as the order has it
    paid_date        date not null,           -- 収納日
    paid_time        varchar not null,        -- HHMMSS (HHMM feeds padded with 00)
    store_code       varchar not null,        -- as written
    amount           bigint not null,
    stamp_flag       boolean not null,        -- 印紙フラグ
    transfer_date    date,                    -- 振込予定日 / 入金予定日 (02)
    confirmed_date   date,                    -- 確定日 (FM 02)
    cancelled_at     timestamp,               -- 取消日時 (SEJ 03)
    barcode          varchar,                 -- CVS: the 44-digit GS1-128 barcode
    barcode_stamp    boolean,                 -- CVS: the stamp flag printed in the barcode
    file_created_at  timestamp not null,      -- from the file (header; CVS: its name)
    ingested_at      timestamp not null,
    event_id         varchar not null,        -- md5 of the event identity (below)
    payment_id       varchar not null,        -- md5 of the identity without the kind
    primary key (file_id, record_no)
);

-- One row per event: identity (chain, reference, kind, paid_date, paid_time, store_code, amount).
create view payment_events as
select
    event_id,
    any_value(payment_id)          as payment_id,
    any_value(chain)               as chain,
    any_value(reference)           as reference,
    any_value(kind)                as kind,
    any_value(paid_date)           as paid_date,
    any_value(paid_time)           as paid_time,
    any_value(store_code)          as store_code,
    any_value(amount)              as amount,
    any_value(stamp_flag)          as stamp_flag,
    any_value(transfer_date)       as transfer_date,
    any_value(cancelled_at)        as cancelled_at,
    min(file_created_at)           as first_file_created_at,
    min(ingested_at)               as first_ingested_at,
    arg_min(file_id, (ingested_at, file_id, record_no))   as first_file_id,
    arg_min(record_no, (ingested_at, file_id, record_no)) as first_record_no,
    count(*)                       as sightings
from feed_records
group by event_id;
