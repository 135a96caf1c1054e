"""Which (chain, reference) keys a scoped reconciliation recomputes: the temp table `KEYS`.

Everything of one key depends only on that key's facts, so recomputing the keys a window touches
— facts ingested, resolved or finalized in it, orders expiring in it, payments reaching their
PRELIM_NOT_CONFIRMED deadline in it — is an exact update of a full run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from tasks.reconcile.rules import prelim_deadline

KEYS = "rc_keys"
# How far before a window a paid date can lie whose PRELIM_NOT_CONFIRMED deadline (00:00 after the
# 10th bank business day after it) falls inside the window: ten bank days plus weekends and the
# longest run of holidays (New Year) span at most 22 days in 2020-2035; 40 days keeps a wide margin
# for calendars not yet published. Tested against the calendar (tests/reconcile/test_scope.py).
DEADLINE_LOOKBACK = timedelta(days=40)


def given_keys(con: duckdb.DuckDBPyConnection, keys: list[tuple[str, str]]) -> None:
    """KEYS = exactly these keys (e.g. the key of an operator's resolution)."""
    con.execute(f"create or replace temp table {KEYS} (chain varchar, reference varchar)")
    if keys:
        con.executemany(f"insert into {KEYS} values (?, ?)", [list(k) for k in keys])


def _deadline_paid_dates(since: datetime | None, until: datetime) -> list[str]:
    """Paid dates whose PRELIM_NOT_CONFIRMED deadline falls in [since, until]."""
    first = (since or until).date() - DEADLINE_LOOKBACK
    days = [first + timedelta(days=i) for i in range((until.date() - first).days + 1)]
    lo = since or datetime(1, 1, 1)
    return [d.isoformat() for d in days if lo <= prelim_deadline(d) <= until]


def window_keys(con: duckdb.DuckDBPyConnection, as_of: datetime, merchant: str | None,
                since: datetime | None, until: datetime | None, after_file_id: int | None = None) -> None:
    """KEYS = the keys a scoped run recomputes (naive JST times; module docstring).

    after_file_id (incremental runs): also every key of a file recorded after that one, so a pull
    whose ingestion time precedes the previous run but which committed after it is not missed.
    """
    params: dict = {"lo": since or datetime(1, 1, 1), "hi": until or as_of}
    win = "between $lo and $hi"
    if since is None and until is None:
        parts = ["select chain, payment_reference as reference from orders",
                 "select chain, reference from feed_records"]
        params = {}
    else:
        parts = [
            f"select chain, reference from feed_records where ingested_at {win}",
            f"select chain, payment_reference from orders where ingested_at {win}",
            f"select chain, payment_reference from orders where due_date + interval 1 day {win}",
            f"""select o.chain, o.payment_reference from order_cancellations c
                join orders o using (merchant_id, order_id) where c.ingested_at {win}""",
            f"""select p.chain, p.reference from exception_resolutions r
                join payments p using (payment_id) where r.resolved_at {win}""",
            f"""select p.chain, p.reference from settlement_finalizations f
                join settlement_lines l using (settlement_id) join payments p using (payment_id)
                where f.finalized_at {win}""",
        ]
        due_paid = _deadline_paid_dates(since, until or as_of)
        if due_paid:
            listed = ", ".join(f"date '{d}'" for d in due_paid)
            parts.append(
                f"select chain, reference from feed_records where kind = '01' and paid_date in ({listed})")
    if after_file_id is not None:
        parts += [
            f"select chain, reference from feed_records where file_id > {int(after_file_id)}",
            f"select chain, payment_reference from orders where file_id > {int(after_file_id)}",
            f"""select o.chain, o.payment_reference from order_cancellations c
                join orders o using (merchant_id, order_id) where c.file_id > {int(after_file_id)}""",
        ]
    keys = " union ".join(parts)
    if merchant:
        keys = (f"select k.chain, k.reference from ({keys}) k join orders o "
                f"on o.chain = k.chain and o.payment_reference = k.reference where o.merchant_id = $m")
        params["m"] = merchant
    con.execute(f"create or replace temp table {KEYS} as select distinct chain, reference from ({keys})",
                params or None)
