"""The demo end to end (a short plan): every flow runs, and running it twice gives the same counts."""

import hashlib

from flows.commands.demo import summary_rows
from flows.demo import DemoPlan, demo
from tasks.warehouse import Warehouse


def _tree_digest(root):
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


def test_demo_twice_gives_the_same_counts_and_outputs(prefect_harness, settings):
    plan = DemoPlan(days=3, orders_per_day=15, merchants=2, tail_days=2)
    demo(plan)
    wh = Warehouse(settings.warehouse_path)
    with wh.read() as con:
        first = summary_rows(con)
        orders = con.execute("select count(*) from orders").fetchone()[0]
    reports = _tree_digest(settings.out_dir)
    assert orders > 0
    assert any(what == "orders registered" for _, what, _ in first)
    assert any(area == "order status" for area, _, _ in first)

    demo(plan)
    with wh.read() as con:
        assert summary_rows(con) == first
    assert _tree_digest(settings.out_dir) == reports
