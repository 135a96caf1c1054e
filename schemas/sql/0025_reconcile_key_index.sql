-- Where the facts of each (chain, reference) key begin (issue 14, items 4 and 6): the earliest
-- ingestion time of a key's feed records and of its order, kept by the reconciliation and the
-- notification enqueue (tasks/reconcile/key_index.py) so that reading the facts of a few thousand
-- keys scans only the row groups ingested since the earliest of them, not the whole tables.
-- An internal index, derived from the facts alone (never from derived tables); rows are only
-- appended (a key can have several), and a key not in it has no facts in the files it covers.
create table reconcile_key_index (
    key_hash  ubigint not null,    -- DuckDB's hash(chain, reference)
    is_order  boolean not null,    -- from orders (payment_reference); else from feed_records
    first_at  timestamp not null   -- the earliest ingested_at of the key's rows in the files added
);

-- One row once built: every row of a file up to max_file_id or ingested after as_of is in the
-- index; hash_check is DuckDB's hash of a fixed key when it was built (another DuckDB version
-- hashing otherwise: the index is rebuilt).
create table reconcile_key_index_state (
    max_file_id  bigint not null,
    as_of        timestamp not null,  -- the as_of (naive JST) of the run that last added to it
    hash_check   ubigint not null
);
