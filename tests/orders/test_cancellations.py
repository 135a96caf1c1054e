"""Merchant cancellations: decided once, when their file is processed."""

from __future__ import annotations

from datetime import datetime

from tasks.cancellations import ingest_cancellations_file
from tasks.clock import JST
from tasks.inbox import InboundFile, parse_name
from tasks.order_files import rejection_report_path
from tasks.orders import ingest_orders_file

from .conftest import cancels_file, order_line, orders_file

LATER = datetime(2026, 11, 4, 9, 0, tzinfo=JST)


def _orders(ingest):
    lines = [order_line(f"T-{i}", reference=f"100000000010{i}") for i in range(1, 6)]
    out = ingest(ingest_orders_file, orders_file(lines))
    assert out.counts["orders"] == 5


def _feed_record(con, reference: str, kind: str, record_no: int = 1):
    con.execute(
        """insert into feed_records (file_id, record_no, feed, chain, kind, reference, paid_date, paid_time,
               store_code, amount, stamp_flag, file_created_at, ingested_at, event_id, payment_id)
           values (999, ?, 'SEJ', 'seven', ?, ?, date '2026-11-03', '091500', '0000001', 3980, false,
                   timestamp '2026-11-03 10:00:00', timestamp '2026-11-03 10:05:00', md5(?), md5(?))""",
        [record_no, kind, reference, f"{reference}{kind}", reference],
    )


def _rejections(con, file_id):
    return con.execute(
        "select line_no, field, value, reason from rejections where file_id = ? order by line_no", [file_id]
    ).fetchall()


def test_cancellations_are_stored(con, ingest):
    _orders(ingest)
    out = ingest(ingest_cancellations_file, cancels_file([
        "M000001,T-1,2026-11-03T12:00:00+09:00",
        '"M000001","T-2","2026-11-03T03:00:00Z"',
    ]), LATER)
    assert out.state == "accepted" and out.counts == {"cancellations": 2, "rejected_rows": 0}
    rows = con.execute(
        "select order_id, cancelled_at::varchar, file_id, line_no, ingested_at::varchar"
        " from order_cancellations order by order_id"
    ).fetchall()
    assert rows == [
        ("T-1", "2026-11-03 12:00:00", out.file_id, 2, "2026-11-04 09:00:00"),
        ("T-2", "2026-11-03 12:00:00", out.file_id, 3, "2026-11-04 09:00:00"),
    ]


def test_unknown_order_is_rejected(con, ingest, settings):
    _orders(ingest)
    out = ingest(ingest_cancellations_file, cancels_file([
        "M000001,NOPE,2026-11-03T12:00:00+09:00",
        "M000002,T-1,2026-11-03T12:00:00+09:00",  # T-1 is M000001's
    ]), LATER)
    assert out.counts == {"cancellations": 0, "rejected_rows": 2}
    rows = _rejections(con, out.file_id)
    assert [(r[0], r[1], r[2]) for r in rows] == [(2, "order_id", "NOPE"), (3, "order_id", "T-1")]
    assert all(r[3].startswith("unknown order") for r in rows)
    assert rejection_report_path(settings, out.name).exists()


def test_double_cancellation_is_rejected(con, ingest):
    _orders(ingest)
    first = ingest(ingest_cancellations_file, cancels_file(["M000001,T-1,2026-11-03T12:00:00+09:00"]), LATER)
    assert first.counts["cancellations"] == 1
    again = cancels_file([
        "M000001,T-1,2026-11-03T13:00:00+09:00",  # already cancelled by the first file
        "M000001,T-2,2026-11-03T13:00:00+09:00",
        "M000001,T-2,2026-11-03T13:00:00+09:00",  # twice in this file
    ], seq=2)
    out = ingest(ingest_cancellations_file, again, LATER)
    assert out.counts == {"cancellations": 1, "rejected_rows": 2}
    assert [(r[0], r[3]) for r in _rejections(con, out.file_id)] == [
        (2, "already cancelled"), (4, "already cancelled at line 3 of this file")]
    kept = con.sql("select cancelled_at::varchar from order_cancellations where order_id = 'T-1'").fetchall()
    assert kept == [("2026-11-03 12:00:00",)]


def test_cancellation_after_a_01_or_02_is_rejected(con, ingest):
    _orders(ingest)
    _feed_record(con, "1000000000101", "01", 1)  # T-1 paid (速報)
    _feed_record(con, "1000000000102", "02", 2)  # T-2 confirmed without its 01
    _feed_record(con, "1000000000103", "03", 3)  # T-3: only a 03 (no 01 or 02): may still be cancelled
    out = ingest(ingest_cancellations_file, cancels_file([
        "M000001,T-1,2026-11-03T12:00:00+09:00",
        "M000001,T-2,2026-11-03T12:00:00+09:00",
        "M000001,T-3,2026-11-03T12:00:00+09:00",
    ]), LATER)
    assert out.counts == {"cancellations": 1, "rejected_rows": 2}
    rows = _rejections(con, out.file_id)
    assert [(r[0], r[1]) for r in rows] == [(2, "order_id"), (3, "order_id")]
    assert all("payment result" in r[3] for r in rows)
    # decided once: a later 01 does not undo a stored cancellation
    _feed_record(con, "1000000000103", "01", 4)
    assert con.execute("select order_id from order_cancellations").fetchall() == [("T-3",)]


def test_a_payment_of_another_chain_with_the_same_digits_does_not_count(con, ingest):
    _orders(ingest)
    _feed_record(con, "1000000000101", "01")
    con.execute("update feed_records set chain = 'famima'")
    out = ingest(ingest_cancellations_file, cancels_file(["M000001,T-1,2026-11-03T12:00:00+09:00"]), LATER)
    assert out.counts == {"cancellations": 1, "rejected_rows": 0}


def test_form_errors_and_missing_columns(con, ingest):
    _orders(ingest)
    out = ingest(ingest_cancellations_file, cancels_file([
        "M1,T-1,2026-11-03T12:00:00+09:00",
        "M000001,T-1,2026-11-03",
    ]), LATER)
    assert [(r[0], r[1]) for r in _rejections(con, out.file_id)] == [(2, "merchant_id"), (3, "cancelled_at")]
    f = InboundFile(parse_name("orders", "ORDER_CANCELS_20261102120000_000009.csv"),
                    b"merchant_id,order_id\nM000001,T-1\n")
    out = ingest(ingest_cancellations_file, f, LATER)
    assert out.state == "quarantined" and out.reasons[0].field == "cancelled_at"
    assert con.execute("select count(*) from order_cancellations").fetchone() == (0,)
