-- 速報 notifications to merchants' servers (owned by the notifications area).
-- The outbox holds one row per event, inserted by `tasks.notify.outbox.enqueue_events` in the same
-- transaction as the reconciliation that produced the fact; the event columns never change, the
-- delivery columns (state …) are updated by the delivery flow. Every attempt is logged.

create table notification_outbox (
    event_id          varchar primary key,    -- md5(type|subject): the Konbini-Event-Id
    type              varchar not null check (type in
                          ('payment.preliminary', 'payment.cancelled', 'payment.confirmed', 'order.expired')),
    subject           varchar not null,       -- payment_id (payment.*) or merchant_id|order_id (order.expired)
    merchant_id       varchar not null,
    order_id          varchar not null,
    chain             varchar not null,
    payment_id        varchar,                -- null for order.expired
    amount            bigint not null,        -- the payment's amount (order.expired: the order's)
    paid_at           timestamp,              -- JST paid date + time; null for order.expired
    store_code        varchar,                -- null for order.expired
    happened_at       timestamp not null,     -- when the fact became known; orders events of one order
    created_at        timestamp not null,     -- as_of of the reconciliation that enqueued it
    -- delivery state (updated by the delivery flow)
    state             varchar not null default 'pending' check (state in ('pending', 'delivered', 'dead')),
    window_start      timestamp not null,     -- created_at, or the last replay: 72 h retry window start
    attempts          integer not null default 0,
    next_attempt_at   timestamp not null,
    delivered_at      timestamp,
    dead_at           timestamp,
    last_status_code  integer,
    last_error        varchar
);

-- Every HTTP attempt: what was sent where, what came back and how long it took.
create table notification_attempts (
    event_id      varchar not null,
    attempt       integer not null,           -- 1, 2, 3 … per event (replays continue the count)
    attempted_at  timestamp not null,         -- JST (the delivery run's as_of)
    url           varchar not null,
    status_code   integer,                    -- null when no answer (timeout, refused, bad URL)
    latency_ms    bigint not null,
    error         varchar,                    -- null when delivered
    delivered     boolean not null,
    primary key (event_id, attempt)
);

-- Operators' replays (human decisions are facts: who, when).
create table notification_replays (
    event_id      varchar not null,
    requested_at  timestamp not null,
    requested_by  varchar not null
);

-- ---------------------------------------------------------------- views for analysts and operations

create view v_notifications as
select event_id, type, merchant_id, order_id, chain, amount, paid_at, store_code, happened_at,
       created_at, state, attempts, next_attempt_at, delivered_at, dead_at, last_status_code, last_error,
       date_diff('second', created_at, delivered_at) as seconds_to_deliver
from notification_outbox;

-- What operations should look at: dead-lettered events and events whose last attempt failed.
create view v_notification_failures as
select event_id, type, merchant_id, order_id, created_at, state, attempts, next_attempt_at, dead_at,
       last_status_code, last_error
from notification_outbox
where state = 'dead' or (state = 'pending' and attempts > 0);
