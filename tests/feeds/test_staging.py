"""A file's records reach the merge's statements as a values list (small files) or a registered
Arrow table (tasks/feeds/staging.py): both give the same warehouse rows, ids, counts and reasons."""

import hashlib
from datetime import date, datetime

import pytest

from tasks.feeds import sej
from tasks.feeds.merge import prepare
from tasks.feeds.staging import SMALL
from tests.feeds.conftest import inbound, seven_record

CREATED = datetime(2026, 11, 4, 21)
PAID = date(2026, 11, 3)


def _sej(records, seq, created=CREATED, kind="01"):
    content = sej.build_file(kind, created, seq, records, "912345")
    return inbound("sej", f"SEJ_{kind}_{created:%Y%m%d%H%M%S}_{seq:06d}.dat", content)


def _records(n, stamp_of=lambda i: False):
    return [seven_record(ref=f"{1000000000001 + i}", hhmm=f"{10 + i // 60:02d}{i % 60:02d}",
                         amount=1000 + i, stamp=stamp_of(i)) for i in range(n)]


@pytest.mark.parametrize("n", [1, SMALL, SMALL + 1, 3 * SMALL])
def test_either_staging_stores_the_same_rows_ids_counts_and_reasons(warehouse, ingest, settings, n):
    first = _sej(_records(n), seq=1)
    assert (prepare(first, settings).staged.table is None) == (n <= SMALL)  # both ways are tested
    o = ingest(first)
    assert o.state == "accepted" and o.counts == {"records": n, "new_events": n, "01": n}
    with warehouse.read() as con:
        rows = con.execute("select record_no, reference, paid_date, paid_time, amount, stamp_flag,"
                           " transfer_date, cancelled_at, barcode, event_id, payment_id, ingested_at"
                           " from feed_records order by record_no").fetchall()
    assert len(rows) == n
    for i, (no, ref, paid, hhmmss, amount, stamp, *rest) in enumerate(rows):
        transfer, cancelled, barcode, eid, pid, at = rest
        assert (no, ref, paid, amount, stamp) == (i + 2, str(1000000000001 + i), PAID, 1000 + i, False)
        assert (transfer, cancelled, barcode, at) == (None, None, None, datetime(2026, 11, 20))
        identity = f"seven|{ref}|2026-11-03|{hhmmss}|1234567|{amount}"
        assert pid == hashlib.md5(identity.encode()).hexdigest()
        assert eid == hashlib.md5(f"{identity}|01".encode()).hexdigest()

    # the same records again: a resend, nothing new
    again = ingest(_sej(_records(n), seq=2, created=datetime(2026, 11, 4, 22)))
    assert again.state == "accepted" and again.counts["new_events"] == 0
    # and once more with the last one's stamp flag changed: quarantined, its record named
    changed = ingest(_sej(_records(n, lambda i: i == n - 1), seq=3, created=datetime(2026, 11, 4, 23)))
    assert changed.state == "quarantined"
    assert [(r.line_no, r.field, r.value) for r in changed.reasons] == [(n + 1, "stamp_flag", "true")]
    assert changed.reasons[0].reason == (
        f"an event already stored (file SEJ_01_20261104210000_000001.dat, record {n + 1}) has stamp_flag"
        " 'false': a resend must not change it")


def test_a_taken_sequence_number_is_found_with_either_staging(warehouse, ingest):
    assert ingest(_sej(_records(1), seq=1)).state == "accepted"
    for n in (1, SMALL + 1):
        o = ingest(_sej(_records(n), seq=1, created=datetime(2026, 11, 4, 21, n)))
        assert o.state == "quarantined"
        assert [str(r) for r in o.reasons] == [
            "sequence_no = '000001': sequence number 000001 of SEJ_01 was already accepted in file"
            " SEJ_01_20261104210000_000001.dat (file_id 1)"]
