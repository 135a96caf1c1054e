"""Fixtures of the reconciliation tests: fact rows written straight into the real DuckDB tables
(the same columns the ingestion writes), so the rules can be tested on small, exact scenarios."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
import pytest

from tasks.clock import JST


def jst(y, mo, d, h=0, mi=0, s=0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=JST)


FEED_OF = {"seven": "SEJ", "famima": "FM", "lawson": "CVS", "ministop": "CVS", "daily": "CVS",
           "seicomart": "CVS"}


@dataclass
class Facts:
    """Writes fact rows: orders, cancellations, accepted files and their records."""

    con: duckdb.DuckDBPyConnection
    _record_no: dict[int, int] = field(default_factory=dict)

    def order(self, merchant_id: str, order_id: str, chain: str, reference: str, amount: int,
              due_date: date, ingested_at: datetime, tax_mode: str = "taxable", tax_amount: int = 0,
              site_id: str = "S000001") -> None:
        # each order in a file of its own, as the ingest writes them: file ids grow in commit order
        self.con.execute(
            "insert into orders values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
            [merchant_id, site_id, order_id, chain, reference, amount, tax_mode, tax_amount,
             datetime(2026, 11, 2, 10, 0), due_date, self._next_file_id(), ingested_at.replace(tzinfo=None)],
        )

    def _next_file_id(self) -> int:
        (file_id,) = self.con.execute(
            "select greatest((select max(file_id) from inbound_files), (select max(file_id) from orders),"
            " 0) + 1").fetchone()
        return file_id

    def cancel(self, merchant_id: str, order_id: str, ingested_at: datetime) -> None:
        self.con.execute("insert into order_cancellations values (?, ?, ?, 0, 0, ?)",
                         [merchant_id, order_id, ingested_at.replace(tzinfo=None),
                          ingested_at.replace(tzinfo=None)])

    def file(self, kind: str, seq: int, received_at: datetime, created_at: datetime | None = None,
             state: str = "accepted") -> int:
        file_id = self._next_file_id()
        created = (created_at or received_at).replace(tzinfo=None)
        folder = {"SEJ_01": "sej", "SEJ_02": "sej", "FM_S": "famima", "FM_K": "famima"}.get(kind, "cvs")
        self.con.execute(
            "insert into inbound_files values (?, ?, ?, ?, ?, ?, ?, 0, ''::blob, ?, ?)",
            [file_id, folder, f"{kind}_{created:%Y%m%d%H%M%S}_{seq:06d}", kind, seq, created,
             f"sha{file_id}", received_at.replace(tzinfo=None), state],
        )
        return file_id

    def event(self, file_id: int, chain: str, kind: str, reference: str, paid: datetime, store: str,
              amount: int, stamp: bool = False, barcode_stamp: bool | None = None) -> None:
        rec = self._record_no.get(file_id, 1) + 1
        self._record_no[file_id] = rec
        received, created = self.con.execute(
            "select received_at, created_at from inbound_files where file_id = ?", [file_id]).fetchone()
        self.con.execute(
            """insert into feed_records
               select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null, null, ?, ?, ?,
                      md5(concat_ws('|', ?, ?, ?, ?, ?, ?::varchar, ?)),
                      md5(concat_ws('|', ?, ?, ?, ?, ?, ?::varchar))""",
            [file_id, rec, FEED_OF[chain], chain, kind, reference, paid.date(), f"{paid:%H%M%S}", store,
             amount, stamp, paid.date() + timedelta(days=9) if kind == "02" else None,
             barcode_stamp, created, received,
             chain, reference, f"{paid:%Y-%m-%d}", f"{paid:%H%M%S}", store, amount, kind,
             chain, reference, f"{paid:%Y-%m-%d}", f"{paid:%H%M%S}", store, amount],
        )


@pytest.fixture
def con(warehouse):
    """A migrated connection to the real warehouse file (closed at the end)."""
    with warehouse.session() as c:
        yield c


@pytest.fixture
def facts(con) -> Facts:
    return Facts(con)


def load_sample_facts(f: Facts) -> None:
    """The scenario of spec/samples (README.md), as the ingestion would store it: each file
    received 10 minutes after its creation."""
    orders_at = jst(2026, 11, 2, 10, 15)
    due9, due3, due5, due16, due30 = (date(2026, 11, d) for d in (9, 3, 5, 16, 30))
    for args in [
        ("M000001", "A-1001", "seven", "1000000000001", 3980, due9, "taxable", 361),
        ("M000001", "A-1002", "seven", "1000000000002", 54000, due9, "taxable", 4909),
        ("M000001", "A-1003", "lawson", "20000000003", 54000, due9, "taxable", 4909),
        ("M000001", "A-1004", "famima", "300000000004", 12800, due9, "taxable", 1163),
        ("M000001", "A-1005", "seven", "1000000000005", 2000, due9, "taxable", 181),
        ("M000001", "A-1006", "lawson", "20000000006", 5000, due3, "taxable", 454),
        ("M000002", "B-2001", "famima", "300000000007", 300000, due30, "non_taxable", 0),
        ("M000002", "B-2002", "seven", "1000000000008", 1200, due5, "taxable", 109),
        ("M000003", "C-3001", "ministop", "20000000009", 45000, due16, "non_taxable", 0),
        ("M000003", "C-3002", "daily", "20000000010", 50000, due16, "taxable", 4545),
        ("M000003", "C-3003", "seicomart", "20000000011", 8000, due16, "taxable", 727),
    ]:
        m, o, chain, ref, amount, due, mode, tax = args
        f.order(m, o, chain, ref, amount, due, orders_at, tax_mode=mode, tax_amount=tax)

    def recv(created):
        return created + timedelta(minutes=10)

    c = jst(2026, 11, 4, 17, 0)
    cvs1 = f.file("CVS", 1, recv(c), c)
    f.event(cvs1, "lawson", "01", "20000000003", jst(2026, 11, 3, 19, 45), "101", 54000, False, False)
    f.event(cvs1, "lawson", "01", "20000000006", jst(2026, 11, 4, 8, 0), "102", 5000, False, False)
    f.event(cvs1, "ministop", "01", "20000000009", jst(2026, 11, 4, 13, 0), "5001", 45000, False, False)
    f.event(cvs1, "daily", "01", "20000000010", jst(2026, 11, 4, 14, 0), "7001", 50000, True, True)
    f.event(cvs1, "lawson", "01", "29999999999", jst(2026, 11, 4, 16, 0), "103", 1500, False, False)
    c = jst(2026, 11, 9, 6, 20)
    cvs2 = f.file("CVS", 2, recv(c), c)
    f.event(cvs2, "lawson", "02", "20000000003", jst(2026, 11, 3, 19, 45), "101", 54000, False, False)
    f.event(cvs2, "ministop", "02", "20000000009", jst(2026, 11, 4, 13, 0), "5001", 45000, False, False)
    f.event(cvs2, "daily", "02", "20000000010", jst(2026, 11, 4, 14, 0), "7001", 50000, True, True)
    f.event(cvs2, "seicomart", "02", "20000000011", jst(2026, 11, 5, 10, 0), "9001", 8000, False, False)
    c = jst(2026, 11, 4, 12, 0)
    fms = f.file("FM_S", 1, recv(c), c)
    f.event(fms, "famima", "01", "300000000004", jst(2026, 11, 3, 15, 0), "123456", 12800)
    f.event(fms, "famima", "03", "300000000004", jst(2026, 11, 3, 15, 0), "123456", 12800)
    f.event(fms, "famima", "01", "300000000007", jst(2026, 11, 4, 11, 11), "654321", 300000, True)
    c = jst(2026, 11, 9, 6, 10)
    fmk = f.file("FM_K", 1, recv(c), c)
    f.event(fmk, "famima", "02", "300000000007", jst(2026, 11, 4, 11, 11), "654321", 300000, True)
    c = jst(2026, 11, 4, 21, 0)
    s1 = f.file("SEJ_01", 1, recv(c), c)
    f.event(s1, "seven", "01", "1000000000001", jst(2026, 11, 3, 12, 30), "1234567", 3980)
    f.event(s1, "seven", "01", "1000000000002", jst(2026, 11, 3, 18, 5), "2345678", 54000, True)
    f.event(s1, "seven", "01", "1000000000005", jst(2026, 11, 4, 9, 15), "1234567", 2000)
    f.event(s1, "seven", "01", "1000000000005", jst(2026, 11, 4, 20, 40), "3456789", 2000)
    c = jst(2026, 11, 9, 6, 0)
    s2 = f.file("SEJ_02", 1, recv(c), c)
    f.event(s2, "seven", "02", "1000000000001", jst(2026, 11, 3, 12, 30), "1234567", 3980)
    f.event(s2, "seven", "02", "1000000000002", jst(2026, 11, 3, 18, 5), "2345678", 54000, True)
    f.event(s2, "seven", "02", "1000000000005", jst(2026, 11, 4, 9, 15), "1234567", 2000)


SAMPLE_STATUS = {
    ("M000001", "A-1001"): "confirmed",
    ("M000001", "A-1002"): "confirmed",
    ("M000001", "A-1003"): "confirmed",
    ("M000001", "A-1004"): "expired",
    ("M000001", "A-1005"): "confirmed",
    ("M000001", "A-1006"): "expired",
    ("M000002", "B-2001"): "confirmed",
    ("M000002", "B-2002"): "expired",
    ("M000003", "C-3001"): "confirmed",
    ("M000003", "C-3002"): "confirmed",
    ("M000003", "C-3003"): "confirmed",
}
# (order or payment reference, paid time of the payment, code)
SAMPLE_OPEN = {
    ("A-1005", "204000", "DUPLICATE_PAYMENT"),
    ("A-1005", "204000", "PRELIM_NOT_CONFIRMED"),
    ("A-1006", "080000", "PAID_AFTER_DUE"),
    ("A-1006", "080000", "PRELIM_NOT_CONFIRMED"),
    ("C-3003", "100000", "CONFIRM_WITHOUT_PRELIM"),
    ("29999999999", "160000", "UNKNOWN_REFERENCE"),
    ("29999999999", "160000", "PRELIM_NOT_CONFIRMED"),
}


def open_exceptions(con) -> set[tuple[str, str, str]]:
    rows = con.execute("""
        select coalesce(e.order_id, e.reference), p.paid_time, e.code
        from exceptions e left join payments p using (payment_id) where e.state = 'open'
    """).fetchall()
    return set(rows)


def statuses(con) -> dict[tuple[str, str], str]:
    return {(m, o): s for m, o, s in con.execute(
        "select merchant_id, order_id, status from order_status").fetchall()}
