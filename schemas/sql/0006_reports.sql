-- Reports (owned by the reports area): what was rendered, and every e-mail delivery step.

-- The latest rendering of each report (derived: re-rendering the same report replaces its row;
-- the same facts give the same bytes, so the sha256 only changes when the facts did).
create table report_outputs (
    report_id    varchar primary key,     -- kind/merchant_id/subject, e.g. collection/M000001/2026-11-04
    kind         varchar not null check (kind in ('collection', 'statement', 'schedule', 'operations')),
    merchant_id  varchar,                 -- null for the operations summary
    subject      varchar not null,        -- the day (YYYY-MM-DD), settlement id or month (YYYY-MM)
    as_of        timestamp not null,      -- the report's as-of (also the PDF's dates)
    pdf_path     varchar not null,        -- relative to data/out/reports/
    csv_path     varchar not null,
    pdf_sha256   varchar not null,
    csv_sha256   varchar not null,
    rendered_at  timestamp not null
);

-- Delivery log (append-only facts). A delivery is (report, recipient, round): round 0 is the
-- automatic one, each operator resend opens the next round. Each try writes `attempt` (committed
-- before the SMTP session starts) and then `accepted` (committed as soon as the server accepted
-- the message) or `failed`. An `attempt` without an outcome means we stopped in between and do
-- not know: it is never retried automatically (at most once), only resent by an operator.
create table report_deliveries (
    report_id     varchar not null,
    recipient     varchar not null,
    round         integer not null,
    attempt       integer not null,       -- 1, 2, 3 … within the round
    event         varchar not null check (event in ('attempt', 'accepted', 'failed')),
    event_at      timestamp not null,     -- JST
    message_id    varchar not null,       -- the same for every try of a round
    pdf_sha256    varchar,                -- what was attached
    csv_sha256    varchar,
    detail        varchar,                -- the SMTP error of a failed try
    requested_by  varchar not null,       -- 'schedule' or the operator who asked for a resend
    primary key (report_id, recipient, round, attempt, event)
);

create view v_report_deliveries as
select report_id, recipient, round,
       max(attempt) as attempts,
       case
           when bool_or(event = 'accepted') then 'accepted'
           when count(*) filter (where event = 'attempt') > count(*) filter (where event <> 'attempt')
               then 'unknown'
           else 'failed'
       end as state,
       min(event_at) filter (where event = 'accepted') as accepted_at,
       max(event_at) as last_at,
       arg_max(detail, attempt) filter (where event = 'failed') as last_error,
       any_value(requested_by) as requested_by,
       any_value(message_id) as message_id
from report_deliveries
group by report_id, recipient, round;
