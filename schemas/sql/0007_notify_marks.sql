-- Notifications (owned by the notifications area): how far each outbox enqueue got, so the next one
-- looks only at facts committed since (tasks.notify.outbox.enqueue_events), not at every fact ever
-- ingested. One row per enqueue that can serve as a starting point.
create table notification_enqueue_marks (
    as_of        timestamp not null,   -- the enqueue's as_of (the reconciliation's)
    max_file_id  bigint not null,      -- every inbound file up to this id was looked at
    max_load_id  integer not null,     -- the current master load then (0: none)
    enqueued     bigint not null       -- events inserted by that enqueue
);

-- Attempts recorded before user:password was refused in notify_url: keep the URL, drop the secret.
update notification_attempts
set url = regexp_replace(url, '^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@', '\1***@')
where regexp_matches(url, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@]*@');
