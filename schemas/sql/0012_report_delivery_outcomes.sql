-- Reports (owned by the reports area): two more outcomes of an e-mail try, so that neither is
-- retried by the machine (at most once):
--   `unknown`  the message had gone out (DATA's final dot sent) but no answer came back (a timeout
--              or a dropped connection): the relay may have accepted it;
--   `rejected` the relay refused the message for good (a 5xx to MAIL FROM, RCPT TO or DATA).
-- DuckDB cannot change a check constraint in place: the log is copied into a new table.

drop view v_report_deliveries;

create table report_deliveries_v2 (
    report_id     varchar not null,
    recipient     varchar not null,
    round         integer not null,
    attempt       integer not null,       -- 1, 2, 3 … within the round
    event         varchar not null
                  check (event in ('attempt', 'accepted', 'failed', 'rejected', 'unknown')),
    event_at      timestamp not null,     -- JST
    message_id    varchar not null,       -- the same for every try of a round
    pdf_sha256    varchar,                -- what was attached
    csv_sha256    varchar,
    detail        varchar,                -- the SMTP error of a failed, rejected or unknown try
    requested_by  varchar not null,       -- 'schedule' or the operator who asked for a resend
    primary key (report_id, recipient, round, attempt, event)
);
insert into report_deliveries_v2 select * from report_deliveries;
drop table report_deliveries;
alter table report_deliveries_v2 rename to report_deliveries;

-- state of a delivery: accepted; unknown (an `unknown` try, or an `attempt` without any outcome:
-- we stopped in between); rejected (refused for good); else failed (retried up to 10 tries).
-- Only `failed` is retried automatically; the others change only by an operator's resend.
create view v_report_deliveries as
select report_id, recipient, round,
       max(attempt) as attempts,
       case
           when bool_or(event = 'accepted') then 'accepted'
           when bool_or(event = 'unknown') then 'unknown'
           when count(*) filter (where event = 'attempt') > count(*) filter (where event <> 'attempt')
               then 'unknown'
           when bool_or(event = 'rejected') then 'rejected'
           else 'failed'
       end as state,
       min(event_at) filter (where event = 'accepted') as accepted_at,
       max(event_at) as last_at,
       arg_max(detail, attempt) filter (where event in ('failed', 'rejected', 'unknown')) as last_error,
       any_value(requested_by) as requested_by,
       any_value(message_id) as message_id
from report_deliveries
group by report_id, recipient, round;
