"""Receivables: a terminated merchant's final negative net is owed to us, with its 請求書, and is
paid by a matching incoming transfer (by itself) or an operator's match."""

from __future__ import annotations

import csv
from datetime import datetime

import pytest

from tasks.errors import KonbiniError
from tasks.render.invoice import render_invoice
from tasks.render.pdf import font_problems, pdf_text
from tasks.treasury.receivables import match
from tests.settle.conftest import settle
from tests.treasury.conftest import at

OWED = 13432  # a 1,000 yen first payment cannot cover the initial and monthly fees (tests/settle)
RID = "RC-M000003-20261101"


def _terminate(warehouse, merchant_id="M000003"):
    with warehouse.write() as con:
        con.execute("update merchants set status = 'terminated' where merchant_id = ?", [merchant_id])


def _final_negative(book, settings, warehouse):
    book.payment("M000003", "daily", 1000, "2026-11-02", datetime(2026, 11, 6, 6))
    _terminate(warehouse)
    r = settle(settings, at("2026-11-12T07:00"), finalize=True)
    assert r.check_ok, r.failures


def test_a_terminated_merchants_negative_net_becomes_a_receivable_with_its_invoice(book, settings, warehouse):
    _final_negative(book, settings, warehouse)
    assert book.sql("select receivable_id, merchant_id, amount, state from v_receivables") == [
        (RID, "M000003", OWED, "open")]
    # nothing is carried any more: no balance-only settlement for it in the next period
    r = settle(settings, at("2026-11-18T07:00"), finalize=True)
    assert "M000003-20261106" not in r.statements["settlement_id"].to_list()
    assert r.treasury["owed_to_us"] == -OWED and r.treasury["carried_debt"] == 0
    with warehouse.read() as con:
        rendered = render_invoice(con, RID, settings)
    assert rendered.pdf_path == settings.out_dir / "reports" / "M000003" / f"invoice_{RID}.pdf"
    flat = " ".join(pdf_text(rendered.pdf_path).split())
    for text in ("請求書", "テスト 御中", RID, "ご請求金額 13,432 円", "差引額 -13,432 円", "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ"):
        assert text in flat, (text, flat)
    assert font_problems(rendered.pdf_path) == []
    rows = list(csv.reader(rendered.csv_path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[-1] == [RID, "M000003", "M000003-20261101", "amount_due", "ご請求金額", str(OWED)]
    # an active merchant's negative net is carried, never a receivable
    assert book.sql("select count(*) from receivables where merchant_id <> 'M000003'") == [(0,)]


def test_a_matching_transfer_pays_the_receivable_by_itself(book, bank, settings, warehouse):
    _final_negative(book, settings, warehouse)
    bank.receive("2026-11-20", OWED - 1, "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ")  # not the amount: stays unmatched
    bank.receive("2026-11-20", OWED, "ｶ)ﾍﾞﾂﾉｶｲｼﾔ")  # not the name
    bank.receive("2026-11-24", OWED, "ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ", ingested_at=datetime(2026, 11, 24, 6))
    settle(settings, at("2026-11-25T07:00"))
    assert book.sql("select state from v_receivables") == [("paid",)]
    assert book.sql(
        "select c.claimed_by, c.claim_id, c.decided_by, c.claimed_at, b.booking_date::varchar "
        "from bank_transfer_claims c join bank_records b using (transfer_id)") == [
        ("receivable", RID, "rule", datetime(2026, 11, 24, 6), "2026-11-24")]
    r = settle(settings, at("2026-11-26T07:00"))
    assert r.check_ok and r.treasury["paid_back"] == -OWED and r.treasury["owed_to_us"] == 0


def test_an_operator_matches_a_transfer_from_another_name(book, bank, settings, warehouse):
    _final_negative(book, settings, warehouse)
    short = bank.receive("2026-11-20", OWED - 1, "ﾀﾞｲﾘｶﾞｲｼﾔ")
    other = bank.receive("2026-11-20", OWED, "ﾀﾞｲﾘｶﾞｲｼﾔ")
    with warehouse.write() as con, pytest.raises(KonbiniError, match=f"{OWED - 1:,} yen, but receivable"):
        match(con, RID, short, "ops", at("2026-11-21T09:00"))
    with warehouse.write() as con, pytest.raises(KonbiniError, match="no such receivable"):
        match(con, "RC-nope", other, "ops", at("2026-11-21T09:00"))
    with warehouse.write() as con:
        match(con, RID, other, "ops", at("2026-11-21T09:00"))
    with warehouse.write() as con, pytest.raises(KonbiniError, match="already paid"):
        match(con, RID, other, "ops", at("2026-11-21T09:00"))
    assert book.sql("select state, matched_by from v_receivables") == [("paid", "ops")]
