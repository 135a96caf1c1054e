"""Every report keeps to its A4 page with the widest values the spec allows (issue 12 item 5):
32-character order ids, 300,000-yen amounts, long file names and rejection reasons."""

from __future__ import annotations

import subprocess
from datetime import date, datetime

from tasks.clock import JST
from tasks.render import collection, operations, schedule, statement
from tasks.render.jobs import render_many
from tasks.render.pdf import font_problems
from tests.reports.pagecheck import overflow_problems

LONG_REASON = ("レコード 12 の GS1-128 バーコードのチェックデジット 7 が計算値 3 と一致しません"
               " (check digit of the 44-digit barcode 91912345678901234567890123456789012345678903)")


def _widest(con) -> None:
    """The worlds' rows, made as wide as the spec allows."""
    con.execute("update orders set order_id = repeat('W', 32 - length(order_id)) || order_id")
    con.execute("update settlement_lines set order_id = repeat('W', 32 - length(order_id)) || order_id,"
                " amount = 300000 where kind = 'payment'")
    con.execute("update settlement_finalizations set payments_total = 123456789, net = -98765432,"
                " adjustments = -1234567, carried_in = -7654321")
    con.execute("""insert into inbound_files values (901, 'orders', 'ORDER_CANCELS_20261110090000_000001.csv',
                   'ORDER_CANCELS', 1, timestamp '2026-11-10 09:00', 'abd', 10, 'x'::blob,
                   timestamp '2026-11-10 09:31', 'quarantined')""")
    con.execute("insert into rejections values (901, 12, 'barcode', 'x', ?)", [LONG_REASON])
    con.execute("update notification_outbox set last_error = ?", ["ConnectTimeout: " + "x" * 200])


def test_no_report_runs_off_its_page(ops_world, settings, tmp_path):
    as_of = datetime(2026, 11, 20, tzinfo=JST)
    with ops_world.write() as con:
        _widest(con)
    with ops_world.read() as con:
        jobs = [
            collection.gather(con, "M000001", date(2026, 11, 4), settings, as_of),
            statement.gather(con, "M000003-20261101", settings, as_of),
            schedule.gather(con, "M000003", date(2027, 1, 1), settings, as_of),
            operations.gather(con, date(2026, 11, 19), settings, as_of),
        ]
    rendered = render_many(jobs, tmp_path, workers=1)
    for r in rendered:
        assert overflow_problems(r.pdf_path) == [], r.report_id
        assert font_problems(r.pdf_path) == [], r.report_id
    # wrapped, never cut: every character is on the page (raw order keeps a cell's lines together)
    text = {r.kind: "".join(subprocess.run(["pdftotext", "-raw", str(r.pdf_path), "-"], check=True,
                                           capture_output=True, text=True).stdout.split())
            for r in rendered}
    assert "WWWWWWWWWWWWWWWWWWWWWWWWWWA-1001" in text["collection"]
    assert "WWWWWWWWWWWWWWWWWWWWWWWWWWC-3001" in text["statement"]
    assert "orders/ORDER_CANCELS_20261110090000_000001.csv" in text["operations"]
    assert "再送済" in text["operations"]
