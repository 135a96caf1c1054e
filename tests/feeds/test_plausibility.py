"""Implausible data quarantines its file with a reason (issue 11 item 3, docs/decisions.md Feeds):
a payment after its file was created, a file created after it reached us, a 0-yen record.
Real files (the writers' bytes equal the spec samples') ingested into a real warehouse."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tasks.clock import JST
from tasks.feeds import cvs, famima, gs1, sej
from tasks.feeds.plausibility import CLOCK_SKEW
from tests.feeds.conftest import inbound, sample_files, seven_record

CREATED = datetime(2026, 11, 4, 21, 0)


def _file(feed: str, paid_at: datetime, amount: int = 3980):
    """One 速報 record paid at `paid_at` in a file created at CREATED; its data record's number."""
    if feed == "SEJ":
        rec = seven_record(paid=paid_at.date(), hhmm=f"{paid_at:%H%M}", amount=amount)
        content = sej.build_file("01", CREATED, 1, [rec], "912345")
        return inbound("sej", f"SEJ_01_{CREATED:%Y%m%d%H%M%S}_000001.dat", content), 2
    if feed == "FM":
        rec = {"kind": "01", "reference": "300000000007", "paid_date": paid_at.date(),
               "paid_time": f"{paid_at:%H%M%S}", "store_code": "654321", "amount": amount,
               "stamp_flag": False}
        content = famima.build_file("S", CREATED, 1, [rec], "54321")
        return inbound("famima", f"FM_S_{CREATED:%Y%m%d%H%M%S}_000001.dat", content), 2
    barcode = gs1.build_barcode("912345", "20000000003", date(2026, 11, 9), False, 54000)[:37]
    barcode += f"{amount:06d}"  # the chain's barcode as read at the till, 0 yen included
    rec = {"kind": "01", "paid_date": paid_at.date(), "paid_time": f"{paid_at:%H%M}",
           "barcode": barcode + str(gs1.check_digit(barcode)),
           "stamp_flag": False, "amount": amount, "chain": "lawson", "store_code": "101"}
    content = cvs.build_file(CREATED, [rec])
    return inbound("cvs", f"CVS_{CREATED:%Y%m%d%H%M%S}_000001.csv", content), 1


def _stored_reasons(warehouse, file_id):
    with warehouse.read() as con:
        return con.execute(
            "select line_no, field, reason from rejections where file_id = ? order by 1", [file_id]
        ).fetchall()


@pytest.mark.parametrize("feed", ["SEJ", "FM", "CVS"])
def test_a_payment_after_its_file_was_created_quarantines_the_file(warehouse, ingest, feed):
    f, record_no = _file(feed, CREATED + CLOCK_SKEW + timedelta(minutes=1))
    outcome = ingest(f)
    assert outcome.state == "quarantined"
    [(line_no, field, reason)] = _stored_reasons(warehouse, outcome.file_id)
    assert (line_no, field) == (record_no, "paid_date")
    assert "after the file was created (2026-11-04 21:00:00; 10 minutes of clock skew allowed)" in reason
    with warehouse.read() as con:
        assert con.execute("select count(*) from feed_records").fetchone() == (0,)


@pytest.mark.parametrize("feed", ["SEJ", "FM", "CVS"])
def test_a_payment_within_the_clock_skew_is_accepted(ingest, feed):
    f, _ = _file(feed, CREATED + CLOCK_SKEW)
    assert ingest(f).state == "accepted"


@pytest.mark.parametrize("f", sample_files(), ids=lambda f: f.meta.name)
def test_a_file_created_after_its_arrival_is_quarantined(warehouse, ingest, f):
    created = f.meta.created_at.replace(tzinfo=JST)
    outcome = ingest(f, as_of=created - CLOCK_SKEW - timedelta(seconds=1))
    assert outcome.state == "quarantined"
    [(line_no, field, reason)] = _stored_reasons(warehouse, outcome.file_id)
    assert (line_no, field) == (None, "name")
    assert reason.startswith(f"created at {f.meta.created_at:%Y-%m-%d %H:%M:%S} (file name) but received at")
    assert "a creation time in the future (10 minutes of clock skew allowed)" in reason


@pytest.mark.parametrize("f", sample_files(), ids=lambda f: f.meta.name)
def test_a_file_arriving_within_the_clock_skew_of_its_creation_is_accepted(ingest, f):
    created = f.meta.created_at.replace(tzinfo=JST)
    assert ingest(f, as_of=created - CLOCK_SKEW).state == "accepted"


@pytest.mark.parametrize("feed", ["SEJ", "FM", "CVS"])
def test_a_zero_yen_record_quarantines_the_file(warehouse, ingest, feed):
    f, record_no = _file(feed, datetime(2026, 11, 4, 12, 30), amount=0)
    outcome = ingest(f)
    assert outcome.state == "quarantined"
    reasons = _stored_reasons(warehouse, outcome.file_id)
    assert (record_no, "amount", f"{feed} data amount must not be 0 yen") in reasons, reasons
    # nothing else is wrong with it: the trailer's sums of 0 agree
    assert [r for r in reasons if r[1] != "amount"] == []
