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
