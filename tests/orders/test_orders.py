"""The order feed handler against a real DuckDB file holding the sample master."""

from __future__ import annotations

import polars as pl

from tasks.inbox import InboundFile, parse_name
from tasks.order_files import rejection_report_path
from tasks.orders import ingest_orders_file

from .conftest import BAD_ORDERS, HEADER, SAMPLE_ORDERS, order_line, orders_file


def _file(path, name=None) -> InboundFile:
    return InboundFile(parse_name("orders", name or path.name), path.read_bytes())


def _rejections(con, file_id):
    return con.execute(
        "select line_no, field, value, reason from rejections where file_id = ? order by line_no, field",
        [file_id],
    ).fetchall()


def _count(con, table):
    return con.execute(f"select count(*) from {table}").fetchone()[0]


def test_sample_orders_all_load(con, ingest, settings):
    out = ingest(ingest_orders_file, _file(SAMPLE_ORDERS))
    assert out.state == "accepted"
    assert out.counts == {"orders": 11, "identical": 0, "rejected_rows": 0}
    assert _count(con, "orders") == 11 and _count(con, "order_customers") == 11
    assert _rejections(con, out.file_id) == []
    row = con.execute(
        "select site_id, chain, payment_reference, amount, tax_mode, tax_amount, ordered_at::varchar,"
        " due_date::varchar, file_id, line_no from orders"
        " where merchant_id = 'M000001' and order_id = 'A-1002'"
    ).fetchone()
    assert row == (
        "S000001",
        "seven",
        "1000000000002",
        54000,
        "taxable",
        4909,
        "2026-11-02 10:00:00",
        "2026-11-09",
        out.file_id,
        3,
    )
    assert con.execute("select state from inbound_files").fetchall() == [("accepted",)]
    assert not rejection_report_path(settings, SAMPLE_ORDERS.name).exists()


def test_bad_sample_rows_each_get_exactly_one_reason(con, ingest, settings):
    ingest(ingest_orders_file, _file(SAMPLE_ORDERS))
    out = ingest(ingest_orders_file, _file(BAD_ORDERS))
    assert out.state == "accepted"
    assert out.counts == {"orders": 0, "identical": 0, "rejected_rows": 5}
    rows = _rejections(con, out.file_id)
    assert [(line, fld) for line, fld, _, _ in rows] == [
        (2, "amount"),  # X-1 300,001
        (3, "due_date"),  # X-2 famima due on the order day
        (4, "due_date"),  # X-3 64 days later
        (5, "chain"),  # X-4 ministop not enabled for S000002
        (6, "payment_reference"),  # X-5 wrong length
    ]
    assert rows[0][2:] == ("300001", "must be from 1 to 300,000 yen")
    assert "famima" in rows[1][3] and "1 day" in rows[1][3]
    assert "60 days" in rows[2][3]
    assert rows[3][3] == "chain ministop is not enabled for site S000002"
    assert rows[4][2:] == ("12345", "must have 13 digits for seven")
    assert _count(con, "orders") == 11
    report = rejection_report_path(settings, BAD_ORDERS.name).read_bytes()
    assert report.splitlines()[0] == b"file,line,merchant_id,order_id,field,value,reason"
    assert report.splitlines()[1] == (
        b'ORDERS_20261110090000_000002.csv,2,M000001,X-1,amount,300001,"must be from 1 to 300,000 yen"'
    )
    assert report.endswith(b"\r\n") and len(report.splitlines()) == 6
    assert "タロウ".encode() not in report and b"0312345678" not in report


def test_report_bytes_are_deterministic(con, ingest, settings, tmp_path):
    out1 = ingest(ingest_orders_file, _file(BAD_ORDERS))
    first = rejection_report_path(settings, BAD_ORDERS.name).read_bytes()
    rejection_report_path(settings, BAD_ORDERS.name).unlink()
    again = InboundFile(parse_name("orders", BAD_ORDERS.name), BAD_ORDERS.read_bytes() + b"\n")
    out2 = ingest(ingest_orders_file, again)
    assert out2.file_id != out1.file_id
    assert rejection_report_path(settings, BAD_ORDERS.name).read_bytes() == first


def test_redelivered_identical_rows_change_nothing(con, ingest):
    ingest(ingest_orders_file, _file(SAMPLE_ORDERS))
    before = con.sql("select * from orders order by all").fetchall()
    # Same rows in another file (another name), fields quoted and columns in another order.
    df = pl.read_csv(SAMPLE_ORDERS, infer_schema=False)
    cols = list(reversed(df.columns))
    text = (
        ",".join(cols)
        + "\n"
        + "\n".join(",".join(f'"{v}"' for v in row) for row in df.select(cols).iter_rows())
    )
    redelivered = InboundFile(parse_name("orders", "ORDERS_20261103100000_000002.csv"), text.encode())
    out = ingest(ingest_orders_file, redelivered)
    assert out.counts == {"orders": 0, "identical": 11, "rejected_rows": 0}
    assert con.sql("select * from orders order by all").fetchall() == before
    assert _count(con, "rejections") == 0


def test_same_order_with_other_content_is_a_conflict(con, ingest):
    ingest(ingest_orders_file, _file(SAMPLE_ORDERS))
    changed = order_line("A-1001", reference="1000000000001", amount="3981")
    out = ingest(ingest_orders_file, orders_file([changed], seq=2))
    assert out.counts == {"orders": 0, "identical": 0, "rejected_rows": 1}
    [(line, fld, value, reason)] = _rejections(con, out.file_id)
    assert (line, fld, value) == (2, "order_id", "A-1001") and reason.startswith("conflict")
    assert con.execute("select amount from orders where order_id = 'A-1001'").fetchone() == (3980,)
    # a changed e-mail (personal data) is a conflict too, and its value is not repeated
    changed_mail = order_line("A-1001", reference="1000000000001", email="other@example.jp")
    out = ingest(ingest_orders_file, orders_file([changed_mail], seq=3))
    assert [r[1] for r in _rejections(con, out.file_id)] == ["order_id"]


def test_conflicts_within_one_file(con, ingest):
    lines = [
        order_line("T-1", reference="1000000000101"),
        order_line("T-1", reference="1000000000101"),  # identical repeat: changes nothing
        order_line("T-1", reference="1000000000101", amount="5000"),  # conflict with line 2
        order_line("T-2", reference="1000000000101"),  # reference taken at line 2
    ]
    out = ingest(ingest_orders_file, orders_file(lines))
    assert out.counts == {"orders": 1, "identical": 1, "rejected_rows": 2}
    rows = _rejections(con, out.file_id)
    assert [(r[0], r[1]) for r in rows] == [(4, "order_id"), (5, "payment_reference")]
    assert "line 2" in rows[0][3] and "line 2" in rows[1][3]
    assert con.execute("select amount from orders where order_id = 'T-1'").fetchone() == (3980,)


def test_a_rejected_row_does_not_take_its_key_or_reference(con, ingest):
    lines = [
        order_line("T-1", reference="1000000000101", amount="0"),  # bad: registers nothing
        order_line("T-1", reference="1000000000101"),  # so this is the first T-1
        order_line("T-1", reference="1000000000102"),  # conflict: never registered, R…102 stays free
        order_line("T-3", reference="1000000000102"),  # may take R…102
    ]
    out = ingest(ingest_orders_file, orders_file(lines))
    assert out.counts == {"orders": 2, "identical": 0, "rejected_rows": 2}
    assert sorted(con.execute("select order_id, payment_reference from orders").fetchall()) == [
        ("T-1", "1000000000101"),
        ("T-3", "1000000000102"),
    ]


def test_references_are_never_reused(con, ingest):
    ingest(ingest_orders_file, _file(SAMPLE_ORDERS))
    # another merchant's order, another chain: same digits are fine; same chain: reuse
    other_chain = order_line(
        "B-9", merchant="M000002", site="S000002", chain="famima", reference="100000000001", due="2026-11-09"
    )
    reuse = order_line("B-8", merchant="M000002", site="S000002", reference="1000000000001")
    out = ingest(ingest_orders_file, orders_file([other_chain, reuse], seq=2))
    assert out.counts["orders"] == 1
    [(line, fld, _, reason)] = _rejections(con, out.file_id)
    assert (line, fld) == (3, "payment_reference") and "never reused" in reason


def test_form_of_every_field(con, ingest, settings):
    bad = [
        order_line("T-1", merchant="M1"),
        order_line("T-2", site="X000001"),
        order_line("T 3"),
        order_line("T-4", chain="circlek"),
        order_line("T-5", reference="10000000001a5"),
        order_line("T-6", amount='"1,000"'),
        order_line("T-7", tax_mode="exempt"),
        order_line("T-8", tax="-1"),
        order_line("T-9", ordered_at="2026-11-02 10:00:00"),
        order_line("T-10", ordered_at="2026-11-02T10:00:00"),  # no offset
        order_line("T-11", due="2026-02-30"),
        order_line("T-12", kana="やまだ"),
        order_line("T-13", phone="03-1234-5678"),
        order_line("T-14", email="not-an-address"),
        order_line("T-15", kana="ヤ" * 41),
    ]
    out = ingest(ingest_orders_file, orders_file(bad))
    assert out.counts == {"orders": 0, "identical": 0, "rejected_rows": 15}
    rows = _rejections(con, out.file_id)
    assert [(r[0], r[1]) for r in rows] == [
        (2, "merchant_id"),
        (3, "site_id"),
        (4, "order_id"),
        (5, "chain"),
        (6, "payment_reference"),
        (7, "amount"),
        (8, "tax_mode"),
        (9, "tax_amount"),
        (10, "ordered_at"),
        (11, "ordered_at"),
        (12, "due_date"),
        (13, "customer_name_kana"),
        (14, "customer_phone"),
        (15, "customer_email"),
        (16, "customer_name_kana"),
    ]
    personal = [r for r in rows if r[1].startswith("customer_")]
    assert all(value is None for _, _, value, _ in personal)
    report = rejection_report_path(settings, out.name).read_text(encoding="utf-8")
    assert "03-1234-5678" not in report and "やまだ" not in report and "not-an-address" not in report


def test_every_reason_of_a_row_is_kept(con, ingest):
    out = ingest(ingest_orders_file, orders_file([order_line("T-1", amount="0", phone="1", site="S000003")]))
    rows = _rejections(con, out.file_id)
    assert [r[1] for r in rows] == ["amount", "customer_phone", "site_id", "tax_amount"]
    assert out.counts["rejected_rows"] == 1


def test_amount_tax_and_due_date_limits(con, ingest):
    good = [
        order_line("G-1", reference="1000000000201", amount="1", tax="0"),
        order_line("G-2", reference="1000000000202", amount="300000", tax="299999"),
        order_line("G-3", reference="1000000000203", tax_mode="non_taxable", tax="0"),
        order_line("G-4", reference="1000000000204", due="2026-11-02"),  # due on the order day
        order_line("G-5", reference="1000000000205", due="2027-01-01"),  # 60 days
        order_line("G-6", chain="famima", reference="300000000206", due="2026-11-03"),
        # 2026-11-01T16:00Z is 11-02 01:00 JST: due 11-02 is the same JST day
        order_line("G-7", reference="1000000000207", ordered_at="2026-11-01T16:00:00Z", due="2026-11-02"),
        order_line("G-8", chain="lawson", reference="20000000208", email=""),
    ]
    bad = [
        order_line("B-1", reference="1000000000301", amount="0", tax="0"),
        order_line("B-2", reference="1000000000302", tax="3980"),  # tax = amount
        order_line("B-3", reference="1000000000303", tax_mode="non_taxable", tax="1"),
        order_line("B-4", reference="1000000000304", due="2026-11-01"),  # before the order day
        order_line("B-5", reference="1000000000305", due="2027-01-02"),  # 61 days
        # 2026-11-01T14:59:59Z is 11-01 23:59:59 JST: 2027-01-01 is 61 days later
        order_line("B-6", reference="1000000000306", ordered_at="2026-11-01T14:59:59Z", due="2027-01-01"),
        order_line("B-7", chain="lawson", reference="2000000030"),
    ]
    out = ingest(ingest_orders_file, orders_file(good + bad))
    assert out.counts == {"orders": 8, "identical": 0, "rejected_rows": 7}
    rows = _rejections(con, out.file_id)
    assert [(r[0], r[1]) for r in rows] == [
        (10, "amount"),
        (10, "tax_amount"),  # amount 0 leaves no room for tax either
        (11, "tax_amount"),
        (12, "tax_amount"),
        (13, "due_date"),
        (14, "due_date"),
        (15, "due_date"),
        (16, "payment_reference"),
    ]
    assert con.execute("select ordered_at::varchar from orders where order_id = 'G-7'").fetchone() == (
        "2026-11-02 01:00:00",
    )
    email = con.execute("select customer_email from order_customers where order_id = 'G-8'").fetchone()
    assert email == (None,)


def test_master_rules(con, ingest, warehouse):
    con.execute("update merchants set status = 'suspended' where merchant_id = 'M000002'")
    con.execute("update sites set status = 'closed' where site_id = 'S000003'")
    lines = [
        order_line("T-1", merchant="M000009"),
        order_line("T-2", site="S000009"),
        order_line("T-3", site="S000002"),  # the site of another merchant
        order_line("T-4", merchant="M000002", site="S000002"),  # suspended merchant
        order_line("T-5", merchant="M000003", site="S000003", chain="lawson", reference="20000000001"),
    ]
    out = ingest(ingest_orders_file, orders_file(lines))
    rows = _rejections(con, out.file_id)
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (2, "merchant_id", "unknown merchant: not in the current master data"),
        (3, "site_id", "unknown site: not in the current master data"),
        (4, "site_id", "site belongs to another merchant"),
        (5, "merchant_id", "merchant is suspended: it takes no new orders"),
        (6, "site_id", "site is closed: it takes no new orders"),
    ]


def test_ragged_row_is_rejected_alone(con, ingest):
    lines = [order_line("T-1"), order_line("T-2", reference="1000000000102") + ",extra"]
    out = ingest(ingest_orders_file, orders_file(lines))
    assert out.counts == {"orders": 1, "identical": 0, "rejected_rows": 1}
    assert _rejections(con, out.file_id) == [(3, None, None, "row has 14 fields; the header has 13")]


def test_not_utf8_is_quarantined_whole(con, ingest, settings):
    text = "\n".join([HEADER, order_line("T-1")]).encode("cp932")
    f = InboundFile(parse_name("orders", "ORDERS_20261102103000_000001.csv"), text)
    out = ingest(ingest_orders_file, f)
    assert out.state == "quarantined" and out.counts["rejected_rows"] == 0
    assert "not UTF-8" in out.reasons[0].reason
    assert con.execute("select state from inbound_files").fetchall() == [("quarantined",)]
    assert _count(con, "orders") == 0 and _count(con, "rejections") == 1
    assert b"not UTF-8" in rejection_report_path(settings, f.meta.name).read_bytes()


def test_missing_column_is_quarantined_whole(con, ingest):
    header = HEADER.replace(",customer_email", "")
    line = order_line("T-1").rsplit(",", 1)[0]
    out = ingest(ingest_orders_file, orders_file([line], header=header))
    assert out.state == "quarantined"
    assert [(r.line_no, r.field) for r in out.reasons] == [(1, "customer_email")]
    assert _count(con, "orders") == 0


def test_bom_and_crlf_are_read(con, ingest):
    text = ("\ufeff" + HEADER + "\r\n" + order_line("T-1") + "\r\n").encode("utf-8")
    f = InboundFile(parse_name("orders", "ORDERS_20261102103000_000001.csv"), text)
    out = ingest(ingest_orders_file, f)
    assert out.counts["orders"] == 1


def test_line_numbers_follow_quoted_line_breaks(con, ingest):
    lines = [
        order_line("T-1"),
        order_line('"T\n2"', reference="1000000000102"),  # one record over lines 3 and 4
        order_line("T-3", reference="1000000000103", amount="0", tax="0"),
    ]
    out = ingest(ingest_orders_file, orders_file(lines))
    assert [(r[0], r[1]) for r in _rejections(con, out.file_id)] == [
        (3, "order_id"),
        (5, "amount"),
        (5, "tax_amount"),
    ]


def test_broken_quoting_is_quarantined_whole_with_its_line(con, ingest):
    lines = [order_line("T-1"), order_line("T-2", reference="1000000000102", kana='"ヤマダ')]
    out = ingest(ingest_orders_file, orders_file(lines))
    assert out.state == "quarantined"
    assert [(r.line_no, r.field) for r in out.reasons] == [(3, None)]
    assert "not a readable CSV" in out.reasons[0].reason
    assert _count(con, "orders") == 0


def test_header_only_file_is_accepted_empty(con, ingest, settings):
    out = ingest(ingest_orders_file, orders_file([]))
    assert out.state == "accepted"
    assert out.counts == {"orders": 0, "identical": 0, "rejected_rows": 0}
    assert not rejection_report_path(settings, out.name).exists()


def test_analyst_view_of_rejections(con, ingest):
    out = ingest(ingest_orders_file, _file(BAD_ORDERS))
    rows = con.sql(
        "select file_name, kind, file_state, line_no, field from order_file_rejections order by line_no"
    ).fetchall()
    assert rows[0] == (BAD_ORDERS.name, "ORDERS", "accepted", 2, "amount") and len(rows) == 5
    assert out.file_id == 1
