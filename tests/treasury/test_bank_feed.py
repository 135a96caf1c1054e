"""The BANK_IN feed on its own: whole-file rejection with every reason, cancellations, resends that
differ, sequence gaps, claims by the money-out work, and operators' resolutions."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.errors import KonbiniError
from tasks.reconcile.resolutions import resolve
from tasks.reconcile.run import reconcile

from .bank_support import FM, SEJ, bank_file, jst, treasury_exceptions

D1, D2 = date(2026, 11, 13), date(2026, 11, 16)
STRANGER = "ﾃｽﾄｼﾖｳｼﾞ(ｶ"


def pull_one(warehouse, settings, at):
    from tasks.ingest import pull

    return pull(warehouse, at, settings, retry_delays=())


def inbox(settings):
    from pathlib import Path

    return Path(settings.inbox_url)


def reasons_of(outcome) -> list[str]:
    return [str(r) for r in outcome.reasons]


def test_account_not_ours_rejected_whole(warehouse, settings):
    path = bank_file(settings, inbox(settings), 1, D1, [{"amount": 100, "remitter_name": SEJ}])
    content = path.read_bytes()
    path.write_bytes(content[:59] + b"2" + content[60:])  # 預金種目 2 (当座): not our account
    [o] = pull_one(warehouse, settings, jst(2026, 11, 14, 7))
    assert o.state == "quarantined"
    why = "line 1, account_type = '2': header account_type (our account) is 2 but must be 1"
    assert reasons_of(o) == [why]
    with warehouse.write() as con:
        assert con.execute("select count(*) from bank_records").fetchone() == (0,)


def test_every_reason_of_a_broken_file(warehouse, settings):
    records = [{"amount": 100, "remitter_name": SEJ}, {"amount": 200, "remitter_name": FM},
               {"amount": 300, "remitter_name": FM, "booking_date": date(2026, 11, 12)}]
    path = bank_file(settings, inbox(settings), 1, D1, records)
    lines = path.read_bytes().split(b"\r\n")
    lines[1] = lines[1][:7] + b"081131" + lines[1][13:]  # 勘定日 11-31: no such day
    lines[2] = lines[2][:150]  # a record cut short
    path.write_bytes(b"\r\n".join(lines))
    [o] = pull_one(warehouse, settings, jst(2026, 11, 14, 7))
    assert o.state == "quarantined"
    text = "\n".join(reasons_of(o))
    assert "line 3: record is 150 bytes, expected 200 followed by '\\r\\n'" in text
    assert "line 2, booking_date = '081131': BANK_IN data booking_date must be a 令和 date YYMMDD" in text
    assert "line 4, booking_date = '2026-11-12': 勘定日 2026-11-12 is outside the header's range" in text
    assert "trailer count is 3 but the records give 2" in text


def test_cancellation_clears_the_unknown_remitter(warehouse, settings):
    bank_file(settings, inbox(settings), 1, D1, [{"amount": 10_000, "remitter_name": STRANGER}])
    assert [o.state for o in pull_one(warehouse, settings, jst(2026, 11, 14, 7))] == ["accepted"]
    with warehouse.write() as con:
        reconcile(con, jst(2026, 11, 14, 7))
        assert treasury_exceptions(con) == {
            ("UNKNOWN_REMITTER", f"{STRANGER} 照会番号 000001", "11-13", 10_000, "open")}
    # the bank cancels it on the next day (same 勘定日 and 照会番号, 取消区分 1), with one new transfer
    recs = [{"inquiry_no": 1, "booking_date": D1, "amount": 10_000, "remitter_name": STRANGER,
             "cancel": True},
            {"inquiry_no": 2, "booking_date": D2, "amount": 500, "remitter_name": SEJ}]
    bank_file(settings, inbox(settings), 2, D2, [], from_date=D1, records_exact=recs)
    assert [o.state for o in pull_one(warehouse, settings, jst(2026, 11, 17, 7))] == ["accepted"]
    with warehouse.write() as con:
        reconcile(con, jst(2026, 11, 17, 7))
        codes = {(c, st) for c, _, _, _, st in treasury_exceptions(con)}
        assert ("UNKNOWN_REMITTER", "cleared") in codes
        rows = con.execute("select matched_to, is_cancellation from v_bank_transfers order by record_no,"
                           " file_name").fetchall()
        assert sorted(rows) == [("cancellation", True), ("cancelled", False), ("source", False)]


def test_cancellation_with_another_amount_and_resend_with_other_facts_are_rejected(warehouse, settings):
    bank_file(settings, inbox(settings), 1, D1, [{"amount": 10_000, "remitter_name": STRANGER}])
    pull_one(warehouse, settings, jst(2026, 11, 14, 7))
    recs = [{"inquiry_no": 1, "booking_date": D1, "amount": 9_999, "remitter_name": STRANGER, "cancel": True},
            {"inquiry_no": 1, "booking_date": D1, "amount": 10_001, "remitter_name": STRANGER}]
    bank_file(settings, inbox(settings), 2, D2, [], from_date=D1, records_exact=recs)
    [o] = pull_one(warehouse, settings, jst(2026, 11, 17, 7))
    assert o.state == "quarantined"
    text = "\n".join(reasons_of(o))
    assert "line 2, amount = '9999': cancels the transfer of file BANK_IN_20261113180000_000001.dat" in text
    assert "line 3, amount: the transfer is stored already" in text and "other amount" in text


def test_bank_sequence_gap_is_a_file_sequence_gap(warehouse, settings):
    bank_file(settings, inbox(settings), 1, D1, [{"amount": 100, "remitter_name": SEJ}])
    bank_file(settings, inbox(settings), 3, D2, [{"amount": 100, "remitter_name": SEJ}])
    pull_one(warehouse, settings, jst(2026, 11, 17, 7))
    with warehouse.write() as con:
        reconcile(con, jst(2026, 11, 17, 8, 1))
        gaps = con.execute("select sequence_kind, sequence_no, state from v_exceptions"
                           " where code = 'FILE_SEQUENCE_GAP'").fetchall()
        assert gaps == [("BANK_IN", 2, "open")]
        assert con.execute("select kind, sequence_no from feed_sequence_gaps").fetchall() == [("BANK_IN", 2)]


def test_claimed_transfer_is_no_longer_unknown(warehouse, settings):
    bank_file(settings, inbox(settings), 1, D1, [{"amount": 10_000, "remitter_name": STRANGER}])
    pull_one(warehouse, settings, jst(2026, 11, 14, 7))
    with warehouse.write() as con:
        (tid,) = con.execute("select transfer_id from bank_records").fetchone()
        con.execute("insert into bank_transfer_claims values (?, 'returned_payout', 'RP1', ?, 'ops')",
                    [tid, jst(2026, 11, 15, 9).replace(tzinfo=None)])
        reconcile(con, jst(2026, 11, 15))
        assert {st for *_, st in treasury_exceptions(con)} == {"open"}  # not claimed yet at that time
        reconcile(con, jst(2026, 11, 16))
        assert {st for *_, st in treasury_exceptions(con)} == {"cleared"}
        assert con.execute("select matched_to, claim_id from v_bank_transfers").fetchall() == [
            ("returned_payout", "RP1")]


def test_operators_dismiss_with_a_note_release_and_refund_refused(warehouse, settings):
    records = [{"amount": 10_000, "remitter_name": STRANGER}, {"amount": 100, "remitter_name": SEJ}]
    bank_file(settings, inbox(settings), 1, D1, records)
    pull_one(warehouse, settings, jst(2026, 11, 14, 7))
    with warehouse.write() as con:
        reconcile(con, jst(2026, 11, 14, 7))
        ids = dict(con.execute("select code, id from v_exceptions").fetchall())
        for code in ("UNKNOWN_REMITTER", "REMITTANCE_OVER"):
            for action in ("release", "refund"):
                with pytest.raises(KonbiniError, match="only dismiss applies"):
                    resolve(con, ids[code], action, "no", "ops", jst(2026, 11, 14, 8))
            resolve(con, ids[code], "dismiss", "asked the bank", "ops", jst(2026, 11, 14, 8))
        rows = con.execute("select code, state, resolution_note from v_exceptions order by code").fetchall()
        assert rows == [("REMITTANCE_OVER", "resolved", "asked the bank"),
                        ("UNKNOWN_REMITTER", "resolved", "asked the bank")]
