"""Money out waiting in the reports: a returned payout in the merchant's statements (waiting, then
paid again with a payout) and in the operations summary with refunds owed and receivables."""

from __future__ import annotations

from datetime import date, datetime

from tasks.render import operations, statement
from tasks.render.jobs import render_job
from tasks.render.pdf import font_problems, pdf_text
from tests.settle.conftest import MERCHANTS, settle
from tests.treasury.conftest import at
from tests.treasury.test_refunds import refund_owed
from tests.treasury.test_returns import NEW_ACCOUNT, _first_payout, _return


def _flat(path) -> str:
    return " ".join(pdf_text(path).split())


def test_statements_and_the_operations_summary_show_money_out_waiting(book, bank, settings, warehouse):
    amount = _first_payout(book, settings)
    ret = _return(warehouse, bank.receive("2026-11-17", amount, "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ"), when="2026-11-17T15:00")
    ex = refund_owed(book, 2500)
    book.payment("M000003", "daily", 30000, "2026-11-08", datetime(2026, 11, 13, 6))
    settle(settings, at("2026-11-18T07:00"), finalize=True)
    out = settings.out_dir / "reports"
    with warehouse.read() as con:
        waiting = render_job(statement.gather(con, "M000003-20261106", settings, at("2026-11-18T07:00")), out)
        summary = operations.gather(con, date(2026, 11, 18), settings, at("2026-11-19T00:00"))
        ops = render_job(summary, out)
    text = _flat(waiting.pdf_path)
    assert "返却された振込 返却番号 当初の入金日 金額(円) 状態" in text
    assert f"{ret.return_id} 2026年11月16日(月) {amount:,} 再振込待ち" in text
    assert font_problems(waiting.pdf_path) == []
    csv_text = waiting.csv_path.read_text(encoding="utf-8-sig")
    assert f"returned_waiting,返却分 {ret.return_id} 再振込待ち,,,,,,,,,{amount}" in csv_text
    assert [x["id"] for x in summary.context["treasury"]["returned_payout"]] == [ret.return_id]
    assert [x["id"] for x in summary.context["treasury"]["refund_owed"]] == [ex]
    assert f"- {ret.return_id} M000003: {amount:,} yen since 2026-11-17 15:00" in summary.markdown
    flat = _flat(ops.pdf_path)
    assert f"返却された振込(再振込待ち)(1) 番号 加盟店 発生 金額(円) {ret.return_id} M000003" in flat
    assert "顧客への返金(振込指示待ち)(1)" in flat and "加盟店への債権(未入金)(0)" in flat
    assert "0005" not in summary.markdown  # no bank details of anyone
    # the account changes: the 11-25 payout pays it again, and its statement says so
    book.master(merchants={**MERCHANTS, "M000003": NEW_ACCOUNT})
    book.payment("M000003", "daily", 50000, "2026-11-12", datetime(2026, 11, 16, 6))
    settle(settings, at("2026-11-21T07:00"), finalize=True)
    with warehouse.read() as con:
        repaid = render_job(statement.gather(con, "M000003-20261111", settings, at("2026-11-21T07:00")), out)
        later = operations.gather(con, date(2026, 11, 21), settings, at("2026-11-22T00:00"))
    assert f"{ret.return_id} 2026年11月16日(月) {amount:,} 再振込(この入金日)" in _flat(repaid.pdf_path)
    assert later.context["treasury"]["returned_payout"] == []
