"""Feed files into a real warehouse: accepted whole or quarantined whole, resends, sequences."""

import hashlib
from datetime import date, datetime, timedelta

from tasks.feeds import ingest_feed_file, sej, sequence_gaps
from tasks.settings import Settings
from tasks.warehouse import Warehouse
from tests.feeds.conftest import AS_OF, inbound, sample_files, seven_record


def _sej(records, seq=1, created=datetime(2026, 11, 4, 21), kind="01"):
    content = sej.build_file(kind, created, seq, records, "912345")
    return inbound("sej", f"SEJ_{kind}_{created:%Y%m%d%H%M%S}_{seq:06d}.dat", content)


def _events(warehouse):
    with warehouse.read() as con:
        return con.execute(
            "select event_id, payment_id, chain, reference, kind, paid_date, paid_time, store_code,"
            " amount, stamp_flag, transfer_date, cancelled_at, sightings from payment_events"
            " order by event_id"
        ).fetchall()


def test_samples_merge_with_lineage_and_sql_identity(warehouse, ingest):
    outcomes = [ingest(f) for f in sample_files()]
    assert [o.state for o in outcomes] == ["accepted"] * 6
    with warehouse.read() as con:
        assert con.execute("select count(*) from feed_records").fetchone() == (20,)
        assert con.execute("select count(*) from payment_events").fetchone() == (20,)
        row = con.execute("""select r.event_id, r.payment_id, f.name, r.record_no from feed_records r
                         join inbound_files f using (file_id)
                         where r.reference = '1000000000002' and r.kind = '02'""").fetchone()
    identity = "seven|1000000000002|2026-11-03|180500|2345678|54000"
    assert row[1] == hashlib.md5(identity.encode()).hexdigest()
    assert row[0] == hashlib.md5((identity + "|02").encode()).hexdigest()
    assert row[2:] == ("SEJ_02_20261109060000_000001.dat", 3)
    assert {o.name: o.counts for o in outcomes} == {
        "SEJ_01_20261104210000_000001.dat": {"records": 4, "new_events": 4, "01": 4},
        "FM_S_20261104120000_000001.dat": {"records": 3, "new_events": 3, "01": 2, "03": 1},
        "CVS_20261104170000_000001.csv": {"records": 5, "new_events": 5, "01": 5},
        "SEJ_02_20261109060000_000001.dat": {"records": 3, "new_events": 3, "02": 3},
        "FM_K_20261109061000_000001.dat": {"records": 1, "new_events": 1, "02": 1},
        "CVS_20261109062000_000002.csv": {"records": 4, "new_events": 4, "02": 4},
    }


def test_same_file_twice_changes_nothing_and_order_does_not_matter(warehouse, ingest, tmp_path):
    files = sample_files()
    for f in files:
        ingest(f)
    before = _events(warehouse)
    assert all(ingest(f) is None for f in files)  # duplicates
    assert _events(warehouse) == before
    other = Warehouse(tmp_path / "other.duckdb")
    for f in reversed(files):
        with other.write() as con:
            ingest_feed_file(con, f, AS_OF, Settings())
    assert _events(other) == before


def test_resend_is_another_sighting_of_the_same_event(warehouse, ingest):
    r1 = seven_record()
    assert ingest(_sej([r1], seq=1)).state == "accepted"
    o = ingest(_sej([r1, seven_record(hhmm="1300")], seq=2, created=datetime(2026, 11, 4, 21, 30)))
    assert o.state == "accepted" and o.counts["new_events"] == 1
    events = _events(warehouse)
    assert len(events) == 2 and sorted(e[-1] for e in events) == [1, 2]


def test_a_stored_reference_with_another_identity_is_a_new_event(warehouse, ingest):
    """The resend lookup first asks whether a reference is stored on the file's paid dates at all;
    a payment of a stored reference at another time is no resend: a new event, its own facts."""
    ingest(_sej([seven_record()], seq=1))
    o = ingest(_sej([seven_record(hhmm="1300", stamp=True)], seq=2, created=datetime(2026, 11, 4, 22)))
    assert o.state == "accepted" and o.counts["new_events"] == 1 and not o.reasons
    assert len(_events(warehouse)) == 2


def test_resend_with_another_stamp_flag_is_quarantined_with_nothing_merged(warehouse, ingest):
    ingest(_sej([seven_record()], seq=1))
    o = ingest(
        _sej([seven_record(hhmm="1300"), seven_record(stamp=True)], seq=2, created=datetime(2026, 11, 4, 22))
    )
    assert o.state == "quarantined"
    assert [(r.line_no, r.field, r.value) for r in o.reasons] == [(3, "stamp_flag", "true")]
    assert "SEJ_01_20261104210000_000001.dat" in o.reasons[0].reason
    with warehouse.read() as con:
        assert con.execute("select count(*) from feed_records").fetchone() == (1,)
        assert con.execute("select state from inbound_files where file_id = 2").fetchone() == ("quarantined",)
        assert con.execute("select count(*) from rejections where file_id = 2").fetchone() == (1,)


def test_sequence_taken_corrected_file_and_gaps(warehouse, ingest):
    first = _sej([seven_record()], seq=1)
    assert ingest(first).state == "accepted"
    # a different file with the number of the accepted one
    other = _sej([seven_record(hhmm="0900")], seq=1)
    o = ingest(other)
    assert o.state == "quarantined" and o.reasons[0].field == "sequence_no"
    # number 3 arrives, 2 is missing; 2 comes broken, then corrected (same name)
    t3 = AS_OF
    ingest(_sej([seven_record(hhmm="1100")], seq=3, created=datetime(2026, 11, 5, 9)), as_of=t3)
    good2 = _sej([seven_record(hhmm="1000")], seq=2, created=datetime(2026, 11, 5, 8))
    broken2 = inbound(
        "sej", good2.meta.name, good2.content.replace(b"8000001000000003980", b"8000001000000003981")
    )
    assert ingest(broken2, as_of=t3 + timedelta(minutes=5)).state == "quarantined"
    with warehouse.read() as con:
        gaps = sequence_gaps(con, t3 + timedelta(minutes=10))
        assert gaps.rows() == [("SEJ_01", 2, datetime(2026, 11, 20), datetime(2026, 11, 20, 1))]
        assert sequence_gaps(con, t3 - timedelta(minutes=1)).height == 0  # 3 not yet seen
    assert ingest(good2, as_of=t3 + timedelta(hours=2)).state == "accepted"
    with warehouse.read() as con:
        assert sequence_gaps(con, t3 + timedelta(hours=3)).height == 0
        assert sequence_gaps(con, t3 + timedelta(hours=1)).height == 1  # as it was then


def test_fm_cancel_and_cvs_barcode_facts_are_stored(warehouse, ingest):
    for f in sample_files():
        ingest(f)
    with warehouse.read() as con:
        rows = con.execute("""select kind, amount from payment_events where chain = 'famima'
                          and reference = '300000000004' order by kind""").fetchall()
        assert rows == [("01", 12800), ("03", 12800)]
        ids = con.execute("""select count(distinct payment_id) from payment_events
                         where chain = 'famima' and reference = '300000000004'""").fetchone()
        assert ids == (1,)  # 01 and its 03 are one payment
        assert con.execute("""select barcode_stamp, transfer_date from feed_records where chain = 'daily'
                          and kind = '02'""").fetchone() == (True, date(2026, 11, 13))
