"""The enqueue checks its events against the outbox rows that can hold them, not against all of it
(tasks/notify/new_events.py), and still inserts each event exactly once."""

from __future__ import annotations

import json
from datetime import date, datetime

from tasks.clock import JST
from tasks.notify.outbox import ORDER_KEY
from tasks.reconcile.run import reconcile

URL = "https://merchant1.example/hooks/konbini"
SECRET = "k3J9xQ2mV8pL5tR1wZ7yB4nC6dF0gH2s"
OLD = 3 * 122_880  # events of an earlier year: three row groups of DuckDB's


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


class Profiled:
    """DuckDB's profile of the outbox insert (DuckDB's own connection, profiling on for that one)."""

    def __init__(self, con, path):
        self._con, self.path, self.profile = con, path, None

    def execute(self, sql, *args, **kwargs):
        if not str(sql).lstrip().startswith("insert into notification_outbox"):
            return self._con.execute(sql, *args, **kwargs)
        self._con.execute(f"pragma enable_profiling = 'json'; pragma profiling_output = '{self.path}'")
        rows = self._con.execute(sql, *args, **kwargs).fetchall()
        self._con.execute("pragma disable_profiling")
        self.profile = json.loads(self.path.read_text())
        return _Rows(rows)

    def __getattr__(self, name):
        return getattr(self._con, name)


class _Rows:
    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0]


def test_the_enqueue_reads_only_the_outbox_rows_created_since_its_earliest_event(facts, tmp_path):
    # a year of events enqueued before (another merchant's: the rows only have to be there), then
    # the outbox appended day after day
    f, con = facts, facts.con
    con.execute(f"""insert into notification_outbox (event_id, type, subject, merchant_id, order_id, chain,
        payment_id, amount, paid_at, store_code, happened_at, created_at, state, window_start, attempts,
        next_attempt_at)
        select md5('old' || i), 'payment.preliminary', md5('p' || i), 'M000009', 'O-' || i, 'seven',
               md5('p' || i), 100, t, '1', t, t + interval 1 day, 'delivered', t, 1, t
        from (select i, timestamp '2025-01-01' + to_minutes(i) as t from range({OLD}) r(i))""")
    con.execute("checkpoint")
    f.master(jst(2026, 11, 1), {"M000001": (URL, SECRET)})
    f.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9), jst(2026, 11, 2, 10))
    f.record("seven", "01", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 3, 10))
    con.execute("begin")
    assert reconcile(con, jst(2026, 11, 4)).notifications == 1
    con.execute("commit")
    # the next day: the 確報 of the known payment, the 速報 re-sent, a new order paid
    f.record("seven", "02", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 4, 6))
    f.record("seven", "01", "1000000000001", jst(2026, 11, 3, 9), "0001234", 3980, jst(2026, 11, 4, 7))
    f.order("M000001", "A-2", "lawson", "20000000009", 700, date(2026, 11, 20), jst(2026, 11, 4, 8))
    f.record("lawson", "01", "20000000009", jst(2026, 11, 4, 9), "77", 700, jst(2026, 11, 4, 10))
    profiled = Profiled(con, tmp_path / "insert.json")
    con.execute("begin")
    assert reconcile(profiled, jst(2026, 11, 5), incremental=True).notifications == 2
    con.execute("commit")
    # the anti join read the outbox from the earliest candidate's bound on: not the old row groups
    assert profiled.profile["query"]["total_rows_scanned"] < 1_000
    got = con.execute("select type, order_id, created_at from notification_outbox"
                      f" where merchant_id = 'M000001' order by {ORDER_KEY}").fetchall()
    assert got == [("payment.preliminary", "A-1", datetime(2026, 11, 4)),
                   ("payment.confirmed", "A-1", datetime(2026, 11, 5)),
                   ("payment.preliminary", "A-2", datetime(2026, 11, 5))]


def test_an_expiry_enqueued_before_a_late_void_is_not_enqueued_again(facts):
    """An expiry's happened_at moves later with a void ingested after it was enqueued: the rows it can
    equal are found from the day after its due date (new_events.py), so it is not inserted twice (a
    second insert would break the primary key and the reconciliation)."""
    f, con = facts, facts.con
    f.master(jst(2026, 11, 1), {"M000001": (URL, SECRET)})
    f.order("M000001", "A-1", "famima", "300000000004", 12800, date(2026, 11, 9), jst(2026, 11, 2, 10))
    con.execute("begin")
    assert reconcile(con, jst(2026, 11, 11)).notifications == 1  # expired on 11-10
    con.execute("commit")
    paid = jst(2026, 11, 12, 11)  # paid after its due date, then voided: expired again
    f.record("famima", "01", "300000000004", paid, "012345", 12800, jst(2026, 11, 12, 12))
    f.record("famima", "03", "300000000004", paid, "012345", 12800, jst(2026, 11, 13, 9))
    for day in (14, 15):
        con.execute("begin")
        reconcile(con, jst(2026, 11, day), incremental=True)
        con.execute("commit")
    got = con.execute(f"select type, happened_at, created_at from notification_outbox"
                      f" order by {ORDER_KEY}").fetchall()
    assert got == [("order.expired", datetime(2026, 11, 10), datetime(2026, 11, 11)),
                   ("payment.preliminary", datetime(2026, 11, 12, 12), datetime(2026, 11, 14)),
                   ("payment.cancelled", datetime(2026, 11, 13, 9), datetime(2026, 11, 14))]
