-- Facts of the foundation: files received, their rejections, master data loads, orders and
-- merchant cancellations. Append-only: rows are inserted, never updated or deleted.
-- All times are JST wall-clock TIMESTAMPs (no zone); money is BIGINT yen.

-- Every file taken from the inbox whose name matched a known pattern: orders, cancellations
-- and the chains' feeds. Its bytes are kept here, in the same transaction as what it produced,
-- so a file can never be lost between the inbox and the ledger.
create table inbound_files (
    file_id      bigint primary key,          -- 1, 2, 3 … in order of processing
    folder       varchar not null,            -- orders, sej, famima, cvs
    name         varchar not null,            -- file name as delivered
    kind         varchar not null,            -- ORDERS, ORDER_CANCELS, SEJ_01, SEJ_02, FM_S, FM_K, CVS
    sequence_no  integer not null,            -- from the name
    created_at   timestamp not null,          -- creation time, from the name
    sha256       varchar not null,
    size_bytes   bigint not null,
    content      blob not null,
    received_at  timestamp not null,          -- when we ingested it (the pull's as_of)
    state        varchar not null check (state in ('accepted', 'quarantined')),
    unique (folder, name, sha256)
);

-- Every reason a file or a row was rejected. line_no: line (CSV) or record (fixed width) number,
-- 1-based; null for a reason about the whole file.
create table rejections (
    file_id  bigint not null,
    line_no  integer,
    field    varchar,
    value    varchar,
    reason   varchar not null
);

-- Master data: each accepted load is a complete set; the current one is the highest load_id.
create table master_loads (
    load_id    integer primary key,
    loaded_at  timestamp not null,
    source     varchar not null,
    sha256     varchar not null               -- of the three files together: same set, no new load
);

create table merchants (
    load_id          integer not null,
    merchant_id      varchar not null,
    name             varchar not null,
    name_kana        varchar not null,        -- half-width kana, Zengin character set
    status           varchar not null check (status in ('active', 'suspended', 'terminated')),
    contract_start   date not null,
    settlement_cycle integer not null check (settlement_cycle in (1, 2, 6)),  -- payouts a month
    fee_plan         varchar not null,
    bank_code        varchar not null check (bank_code <> '9900'),  -- ゆうちょ銀行 never accepted
    branch_code      varchar not null,
    account_type     varchar not null check (account_type in ('1', '2')),  -- 1 普通, 2 当座
    account_number   varchar not null,
    notify_url       varchar,
    notify_secret    varchar,
    email            varchar not null,
    primary key (load_id, merchant_id)
);

create table sites (
    load_id      integer not null,
    site_id      varchar not null,
    merchant_id  varchar not null,
    url          varchar not null,
    chains       varchar[] not null,
    status       varchar not null check (status in ('active', 'closed')),
    primary key (load_id, site_id)
);

create table fee_plans (
    load_id        integer not null,
    plan_id        varchar not null,
    initial_fee    bigint not null,
    monthly_fee    bigint not null,
    fee_seven      bigint not null,
    fee_lawson     bigint not null,
    fee_famima     bigint not null,
    fee_ministop   bigint not null,
    fee_daily      bigint not null,
    fee_seicomart  bigint not null,
    rate_bp        bigint not null,
    primary key (load_id, plan_id)
);

create view current_merchants as
    select * exclude (load_id) from merchants where load_id = (select max(load_id) from master_loads);
create view current_sites as
    select * exclude (load_id) from sites where load_id = (select max(load_id) from master_loads);
create view current_fee_plans as
    select * exclude (load_id) from fee_plans where load_id = (select max(load_id) from master_loads);

-- Orders registered by merchants (注文). Customer personal data lives apart in order_customers.
create table orders (
    merchant_id        varchar not null,
    site_id            varchar not null,
    order_id           varchar not null,
    chain              varchar not null,      -- seven, lawson, famima, ministop, daily, seicomart
    payment_reference  varchar not null,      -- 受付番号 / 払込票番号
    amount             bigint not null check (amount between 1 and 300000),
    tax_mode           varchar not null check (tax_mode in ('taxable', 'non_taxable')),
    tax_amount         bigint not null check (tax_amount >= 0 and tax_amount < amount),
    ordered_at         timestamp not null,    -- JST
    due_date           date not null,
    file_id            bigint not null,
    line_no            integer not null,
    ingested_at        timestamp not null,
    primary key (merchant_id, order_id),
    unique (chain, payment_reference)
);

-- Personal data (個人情報): never in logs, views for analysts, reports or notifications.
create table order_customers (
    merchant_id         varchar not null,
    order_id            varchar not null,
    customer_name_kana  varchar not null,
    customer_phone      varchar not null,
    customer_email      varchar,
    primary key (merchant_id, order_id)
);

-- Merchant cancellations (注文取消), decided once when their file was processed.
create table order_cancellations (
    merchant_id   varchar not null,
    order_id      varchar not null,
    cancelled_at  timestamp not null,
    file_id       bigint not null,
    line_no       integer not null,
    ingested_at   timestamp not null,
    primary key (merchant_id, order_id)
);

-- For analysts: why rows of order and cancellation files were rejected (no personal data: the
-- value of a customer field is never stored).
create view order_file_rejections as
select f.file_id, f.name as file_name, f.kind, f.state as file_state, f.received_at,
       r.line_no, r.field, r.value, r.reason
from rejections r join inbound_files f using (file_id)
where f.kind in ('ORDERS', 'ORDER_CANCELS');
