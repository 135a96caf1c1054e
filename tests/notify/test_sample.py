"""The spec's sample scenario end to end: master load, pull, reconciliation → the outbox."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from tasks.clock import JST
from tasks.ingest import pull
from tasks.master import load_master
from tasks.reconcile.run import reconcile


def test_sample_scenario_notifies_m000001_only(settings, warehouse, sample_inbox, sample_master):
    load_master(warehouse, sample_master, datetime(2026, 11, 1, tzinfo=JST))
    pull(warehouse, datetime(2026, 11, 20, tzinfo=JST), settings, retry_delays=())
    with warehouse.write() as con:
        assert reconcile(con, datetime(2026, 11, 20, tzinfo=JST)).notifications == 14
    with warehouse.write() as con:
        assert reconcile(con, datetime(2026, 11, 20, 0, 10, tzinfo=JST)).notifications == 0
        rows = con.execute(
            "select merchant_id, order_id, type, amount, store_code is null from notification_outbox"
        ).fetchall()
    assert {r[0] for r in rows} == {"M000001"}  # the only merchant with a notify_url
    got = Counter((order, type_) for _, order, type_, _, _ in rows)
    assert got == Counter({
        ("A-1001", "payment.preliminary"): 1, ("A-1001", "payment.confirmed"): 1,
        ("A-1002", "payment.preliminary"): 1, ("A-1002", "payment.confirmed"): 1,
        ("A-1003", "payment.preliminary"): 1, ("A-1003", "payment.confirmed"): 1,
        ("A-1004", "payment.preliminary"): 1, ("A-1004", "payment.cancelled"): 1,
        ("A-1004", "order.expired"): 1,
        ("A-1005", "payment.preliminary"): 2, ("A-1005", "payment.confirmed"): 1,
        ("A-1006", "payment.preliminary"): 1, ("A-1006", "order.expired"): 1,
    })
    assert sum(1 for r in rows if r[2] == "order.expired" and r[4]) == 2


def test_incremental_runs_enqueue_exactly_what_one_full_run_does(settings, warehouse, sample_inbox,
                                                                  sample_master, tmp_path):
    """Scoped reconciliations hand only their keys to enqueue_events: file by file, with an
    incremental run after each, the outbox must end as after a single full run."""
    import shutil

    from tasks.inbox import parse_name

    load_master(warehouse, sample_master, datetime(2026, 11, 1, tzinfo=JST))
    staged = tmp_path / "staged"
    shutil.move(str(sample_inbox), staged)
    files = sorted(((parse_name(p.parent.name, p.name), p) for p in staged.glob("*/*.*")),
                   key=lambda f: f[0].sort_key)
    for meta, path in files:
        (sample_inbox / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, sample_inbox / path.parent.name / path.name)
        at = datetime.combine(meta.created_at.date(), meta.created_at.time(), JST)
        pull(warehouse, at, settings, retry_delays=())
        with warehouse.write() as con:
            reconcile(con, at, incremental=True)
    for day in range(10, 21):  # expiries and deadlines pass one morning at a time
        with warehouse.write() as con:
            run = reconcile(con, datetime(2026, 11, day, tzinfo=JST), incremental=True)
            assert run.scope == "incremental"
    with warehouse.read() as con:
        stepwise = con.execute("select event_id, type, happened_at from notification_outbox").fetchall()
    with warehouse.write() as con:
        con.execute("delete from notification_outbox")
        con.execute("delete from notification_enqueue_marks")  # the outbox from scratch: no mark either
        reconcile(con, datetime(2026, 11, 20, tzinfo=JST))  # full
        full = con.execute("select event_id, type, happened_at from notification_outbox").fetchall()
    assert len(full) == 14
    assert sorted(stepwise) == sorted(full)
