"""Where each (chain, reference) key's facts begin: the table reconcile_key_index (migration 0025).

Reading the feed records and orders of a few thousand keys (a scoped reconciliation, the
notification enqueue) would otherwise scan both tables whole: no predicate on their columns finds a
set of keys. The facts are stored in arrival order, so a lower bound on `ingested_at` prunes every
row group ingested before it; this index gives that bound exactly: the earliest ingestion time of
the keys' rows, looked up by a 64-bit hash of the key (a narrow scan, no string compared).

Exact, not a heuristic: every row of a file up to the state's max_file_id, and every row ingested
after its as_of, was added to the index (appended with its key's earliest time in that batch), so
the minimum over a key's index rows is at most the ingestion time of each of its rows. A row
committed later with both a file id and an ingestion time at or below the state's would be missed.
The ingest never writes one (file ids grow in commit order), and the state's as_of is that of the
latest full or incremental reconciliation (only they advance it): such a row is one the incremental
run's window misses too. Hence the index serves what already relies on new facts coming in new files:
the incremental run and the notification enqueue from its mark; a run for given keys, a merchant or
an operator's window reads the tables whole, as before. A hash collision only lowers the bound. When
DuckDB hashes differently (another version), the index is rebuilt.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

INDEX = "reconcile_key_index"
STATE = "reconcile_key_index_state"
# the facts indexed: table, its reference column, whether it holds orders
SOURCES = (("feed_records", "reference", False), ("orders", "payment_reference", True))
_CHECK = "hash('seven', '0000000000001')"  # a fixed key: the fingerprint of DuckDB's hash


def catch_up(con: duckdb.DuckDBPyConnection, as_of: datetime | None) -> None:
    """Add the rows of files after the index's state and ingested after its as_of; a full or
    incremental reconciliation passes its `as_of` (naive JST), others None: the state's as_of becomes
    that of the latest such run. Builds the index from every fact the first time, or after a change
    of DuckDB's hash. Inside the caller's transaction."""
    if as_of is None:
        (as_of,) = con.execute(
            "select max(as_of) from reconcile_runs where scope in ('full', 'incremental')").fetchone()
    (check,) = con.execute(f"select {_CHECK}").fetchone()
    state = con.execute(f"select max_file_id, as_of, hash_check from {STATE}").fetchone()
    if state is None or state[2] != check:
        con.execute(f"delete from {INDEX}")
        con.execute(f"delete from {STATE}")
        state = (-1, datetime(1, 1, 1), check)
    after_file, after_time, _ = state
    new = []
    for table, ref, is_order in SOURCES:
        for cond in ("file_id > $w", "file_id <= $w and ingested_at > $t"):
            new.append(f"select hash(chain, {ref}) as key_hash, {str(is_order).lower()} as is_order,"
                       f" min(ingested_at) as first_at, max(file_id) as file_id"
                       f" from {table} where {cond} group by key_hash")
    con.execute(f"create or replace temp table rc_index_new as {' union all '.join(new)}",
                {"w": after_file, "t": after_time})
    con.execute(f"insert into {INDEX} select key_hash, is_order, first_at from rc_index_new")
    (top,) = con.execute("select max(file_id) from rc_index_new").fetchone()
    con.execute("drop table rc_index_new")
    con.execute(f"delete from {STATE}")
    top = max(after_file, top if top is not None else -1)
    con.execute(f"insert into {STATE} values (?, ?, ?)", [top, max(after_time, as_of or after_time), check])


def bounds(con: duckdb.DuckDBPyConnection, keys: str) -> tuple[datetime | None, datetime | None]:
    """(records, orders): the earliest ingestion time of a feed record / an order of the keys of the
    temp table `keys` (chain, reference), None when they have none. Call catch_up first."""
    return con.execute(
        f"""select min(first_at) filter (where not is_order), min(first_at) filter (where is_order)
            from {INDEX} where key_hash in (select hash(chain, reference) from {keys})""").fetchone()


def read_from(con: duckdb.DuckDBPyConnection, keys: str, as_of: datetime | None,
              records: str = "r", orders: str = "o") -> tuple[str, str]:
    """SQL predicates on feed_records (alias `records`) and orders (alias `orders`) that every row of
    the keys of the temp table `keys` meets, after bringing the index up to date (`as_of`: catch_up):
    their ingestion at or after the keys' earliest."""
    catch_up(con, as_of)
    first_record, first_order = bounds(con, keys)
    return _since(f"{records}.ingested_at", first_record), _since(f"{orders}.ingested_at", first_order)


def _since(column: str, bound: datetime | None) -> str:
    """SQL: `column` at or after the bound (false when the keys have no such rows)."""
    if bound is None:
        return "false"
    return f"{column} >= timestamp '{bound.isoformat(sep=' ')}'"  # a datetime, never user text


def span(con: duckdb.DuckDBPyConnection, table: str, source: str, column: str) -> str:
    """SQL: `column` within the range of `source` over the rows of `table` (e.g. a derived row has
    its order's due date: within the due dates of the keys' orders)."""
    low, high = con.execute(f"select min({source}), max({source}) from {table}").fetchone()
    return between(column, low, high)


def between(column: str, low: date | None, high: date | None) -> str:
    """SQL: `column` within [low, high] (false when there is no bound: no rows)."""
    if low is None or high is None:
        return "false"
    return f"{column} between date '{low.isoformat()}' and date '{high.isoformat()}'"  # dates, not text
