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
    payment_id       varchar not null         -- md5 of the identity without the kind
    -- unique (file_id, record_no) by construction; no index: an ART index made every commit slower
    -- as the table grew (checkpoints rewrite it), and nothing looks records up by it
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

-- Sequence numbers of accepted feed files, per sequence (SEJ 01, SEJ 02, FM S, FM K, CVS).
-- A missing number below the highest accepted one is a gap; it alerts 1 hour after a higher number
-- was first accepted (FILE_SEQUENCE_GAP, rules.md). `feed_sequence_gaps_as_of(t)` sees only files
-- ingested at or before t; the view shows the gaps open now.
create macro feed_sequence_gaps_as_of(as_of) as table
with accepted as (
    select kind, sequence_no, min(received_at) as received_at
    from inbound_files
    where state = 'accepted' and kind in ('SEJ_01', 'SEJ_02', 'FM_S', 'FM_K', 'CVS')
      and received_at <= as_of
    group by kind, sequence_no
),
tops as (select kind, max(sequence_no) as top from accepted group by kind),
candidates as (select kind, unnest(range(1, top)) as sequence_no from tops)
select c.kind, c.sequence_no::integer as sequence_no,
       min(a.received_at) as first_seen_higher_at,
       min(a.received_at) + interval 1 hour as alert_from
from candidates c
join accepted a on a.kind = c.kind and a.sequence_no > c.sequence_no
where not exists (select 1 from accepted x where x.kind = c.kind and x.sequence_no = c.sequence_no)
group by c.kind, c.sequence_no;

create view feed_sequence_gaps as
select * from feed_sequence_gaps_as_of('infinity'::timestamp) order by kind, sequence_no;

-- Last accepted number and count of accepted files per sequence, for operators and analysts.
create view feed_sequences as
select kind, max(sequence_no) as last_sequence_no, count(distinct sequence_no) as accepted_files,
       max(received_at) as last_received_at
from inbound_files
where state = 'accepted' and kind in ('SEJ_01', 'SEJ_02', 'FM_S', 'FM_K', 'CVS')
group by kind;

-- Every attempt to reach an inbox (local folder or SFTP), appended by the pull. The 2-hour
-- "unreachable" alert is derived from it, so it survives restarts.
create table source_attempts (
    source        varchar not null,           -- the inbox URL without credentials
    attempted_at  timestamp not null,         -- the pull's as_of
    ok            boolean not null,
    error         varchar                     -- why it failed (no credentials)
);

create view source_status as
with last_ok as (
    select source, max(attempted_at) filter (where ok) as last_success_at from source_attempts group by source
)
select l.source, l.last_success_at,
       min(a.attempted_at) filter (where not a.ok
                                    and (l.last_success_at is null or a.attempted_at > l.last_success_at))
           as unreachable_since,
       arg_max(a.error, a.attempted_at) filter (where not a.ok) as last_error,
       max(a.attempted_at) as last_attempt_at
from last_ok l join source_attempts a using (source)
group by l.source, l.last_success_at;
