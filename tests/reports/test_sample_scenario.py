"""The spec's sample scenario through the real pipeline (master, pull, reconciliation, settlement),
then every report rendered from it and read back."""

from __future__ import annotations

from datetime import datetime

from tasks.clock import JST
from tasks.ingest import pull
from tasks.master import load_master
from tasks.reconcile.run import reconcile
from tasks.render import run
from tasks.render.pdf import font_problems, page_png, pdf_text
from tasks.settle.run import run_settlement


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


def test_reports_of_the_sample_scenario(sample_inbox, sample_master, settings, warehouse, tmp_path):
    load_master(warehouse, sample_master, jst(2026, 11, 1))
    pull(warehouse, jst(2026, 11, 10, 7), settings, retry_delays=())
    for when in (jst(2026, 11, 12, 7), jst(2026, 11, 26, 7), jst(2026, 12, 11, 7)):
        with warehouse.write() as con:
            reconcile(con, when)
        with warehouse.write() as con:
            assert run_settlement(con, when, settings, finalize=True).check_ok
    as_of = jst(2026, 12, 11, 8)
    with warehouse.read() as con:
        jobs = run.plan(con, as_of, settings, lookback_days=40)
        personal = {v for row in con.execute(
            "select customer_name_kana, customer_phone, customer_email from order_customers").fetchall()
            for v in row if v}
        orders = dict(con.execute("select merchant_id, list(order_id) from orders group by all").fetchall())
    result = run.render_due(warehouse, settings, as_of, workers=2, jobs=jobs)
    by_id = {r.report_id: r for r in result.rendered}
    assert sorted(by_id) == [
        "collection/M000001/2026-11-10", "collection/M000002/2026-11-10", "collection/M000003/2026-11-10",
        "operations/_operations/2026-12-10",
        "schedule/M000001/2027-01", "schedule/M000002/2027-01", "schedule/M000003/2027-01",
        "statement/M000001/M000001-20261101", "statement/M000002/M000002-20261101",
        "statement/M000003/M000003-20261101",
    ]
    texts = {rid: " ".join(pdf_text(r.pdf_path).split()) for rid, r in by_id.items()}
    # the three statements of samples/README.md
    for sid, figures in {
        "statement/M000003/M000003-20261101": ("103,000", "13,360", "1,336", "88,104", "2026年11月16日(月)",
                                               "2026年11月11日(水) 23:59:59", "当座 ****111"),
        "statement/M000002/M000002-20261101": ("300,000", "7,500", "750", "291,550", "2026年11月30日(月)"),
        "statement/M000001/M000001-20261101": ("113,980", "13,510", "1,351", "98,919", "2026年12月15日(火)",
                                               "2026年12月10日(木) 23:59:59", "普通 ****567"),
    }.items():
        for f in figures:
            assert f in texts[sid], (sid, f)
        assert "登録番号 T1234567890123" in texts[sid]
    # collection: A-1004's 速報 and 速報取消, C-3003's 確報 only
    assert "A-1004" in texts["collection/M000001/2026-11-10"]
    assert "速報取消" in texts["collection/M000001/2026-11-10"]
    assert "C-3003" in texts["collection/M000003/2026-11-10"]
    for rid, r in by_id.items():
        assert font_problems(r.pdf_path) == [], rid
        page_png(r.pdf_path, tmp_path / rid.replace("/", "_"))
        if r.merchant_id is None:
            continue
        content = texts[rid] + r.csv_path.read_bytes().decode("utf-8-sig")
        for merchant, ids in orders.items():
            if merchant != r.merchant_id:
                assert not [oid for oid in ids if oid in content], rid
        assert not [v for v in personal if v in content], rid
        assert "29999999999" not in content  # the unknown reference is nobody's
