"""Fixtures of the reports area: a small warehouse built from the spec's sample master and orders,
with feed records inserted directly (the rows the feeds area writes), and a real SMTP server."""

from __future__ import annotations

import csv
import hashlib
import socket
from datetime import date, datetime

import pytest

from tasks.clock import JST


def _md5(*parts) -> str:
    return hashlib.md5("|".join(str(p) for p in parts).encode()).hexdigest()


def insert_master_and_orders(con, samples) -> None:
    con.execute("insert into master_loads values (1, timestamp '2026-11-01 09:00:00', 'test', 'x')")
    with open(samples / "master" / "merchants.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            con.execute(
                "insert into merchants values (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [r["merchant_id"], r["name"], r["name_kana"], r["status"], r["contract_start"],
                 int(r["settlement_cycle"]), r["fee_plan"], r["bank_code"], r["branch_code"],
                 r["account_type"], r["account_number"], r["notify_url"] or None,
                 r["notify_secret"] or None, r["email"]],
            )
    with open(samples / "master" / "fee_plans.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            con.execute("insert into fee_plans values (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [r["plan_id"], *(int(v) for k, v in r.items() if k != "plan_id")])
    orders = samples / "inbox" / "orders" / "ORDERS_20261102100500_000001.csv"
    with open(orders, encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh), start=2):
            con.execute(
                "insert into orders values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?,"
                " timestamp '2026-11-02 10:05:00')",
                [r["merchant_id"], r["site_id"], r["order_id"], r["chain"], r["payment_reference"],
                 int(r["amount"]), r["tax_mode"], int(r["tax_amount"]),
                 datetime.fromisoformat(r["ordered_at"]).replace(tzinfo=None), r["due_date"], i],
            )
            con.execute("insert into order_customers values (?, ?, ?, ?, ?)",
                        [r["merchant_id"], r["order_id"], r["customer_name_kana"], r["customer_phone"],
                         r["customer_email"]])


def insert_event(con, *, file_id: int, record_no: int, chain: str, kind: str, reference: str,
                 paid: datetime, store: str, amount: int, stamp: bool = False,
                 transfer_date: date | None = None, ingested_at: datetime, feed: str = "SEJ") -> None:
    paid_date = paid.date()
    paid_time = paid.strftime("%H%M%S")
    identity = (chain, reference, paid_date.isoformat(), paid_time, store, amount)
    con.execute(
        "insert into feed_records values"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null, null, null, ?, ?, ?, ?)",
        [file_id, record_no, feed, chain, kind, reference, paid_date, paid_time, store, amount, stamp,
         transfer_date, ingested_at, ingested_at, _md5(*identity, kind), _md5(*identity)],
    )


@pytest.fixture
def small_world(warehouse):
    """Sample master and orders; events received on 2026-11-04 (and one 02 on 11-09)."""
    return _build(warehouse)


def _build(warehouse):
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "samples"
    d4 = datetime(2026, 11, 4, 21, 5)
    d9 = datetime(2026, 11, 9, 6, 30)
    with warehouse.write() as con:
        insert_master_and_orders(con, samples)
        ev = [
            # M000001
            ("seven", "01", "1000000000001", datetime(2026, 11, 3, 10, 15), "0012345", 3980, False, None, d4),
            ("seven", "01", "1000000000002", datetime(2026, 11, 3, 11, 0), "0012345", 54000, True, None, d4),
            ("lawson", "01", "20000000003", datetime(2026, 11, 4, 9, 30), "123456", 54000, False, None, d4),
            ("famima", "01", "300000000004", datetime(2026, 11, 4, 12, 0), "654321", 12800, False, None, d4),
            ("famima", "03", "300000000004", datetime(2026, 11, 4, 12, 0), "654321", 12800, False, None, d4),
            ("seven", "02", "1000000000001", datetime(2026, 11, 3, 10, 15), "0012345", 3980, False,
             date(2026, 11, 13), d9),
            # M000002
            ("famima", "01", "300000000007", datetime(2026, 11, 4, 15, 0), "654322", 300000, True, None, d4),
            # unknown reference: in nobody's report
            ("lawson", "01", "29999999999", datetime(2026, 11, 4, 16, 0), "123457", 1500, False, None, d4),
        ]
        for i, (chain, kind, ref, paid, store, amount, stamp, td, ing) in enumerate(ev, start=1):
            insert_event(con, file_id=100 + i, record_no=1, chain=chain, kind=kind, reference=ref, paid=paid,
                         store=store, amount=amount, stamp=stamp, transfer_date=td, ingested_at=ing)
    return warehouse


@pytest.fixture
def as_of():
    return datetime(2026, 11, 20, 7, 0, tzinfo=JST)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What a real SMTP server on 127.0.0.1 received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a loopback port that a test can stop and start again."""

    def __init__(self, port: int):
        self.port = port
        self.inbox = Inbox()
        self.controller = None

    @property
    def messages(self):
        return self.inbox.messages

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(monkeypatch):
    """A real SMTP server on a free loopback port; KONBINI_SMTP__* point at it."""
    server = SmtpServer(free_port())
    server.start()
    monkeypatch.setenv("KONBINI_SMTP__HOST", "127.0.0.1")
    monkeypatch.setenv("KONBINI_SMTP__PORT", str(server.port))
    monkeypatch.setenv("KONBINI_SMTP__STARTTLS", "false")
    yield server
    server.stop()


def insert_settlement_m000003(con) -> None:
    """The sample's M000003 settlement (11-01..11-05, payout 11-16), as the settlement area
    finalizes it: 3 payments 103,000, fees 13,360, tax 1,336, stamps 200, net 88,104."""
    sid = "M000003-20261101"
    con.execute(
        "insert into settlement_finalizations (settlement_id, merchant_id, period_start, period_end, cutoff,"
        " payout_date, finalized_at, finalized_by, run_id, cycle, payment_count, payments_total, fees, tax,"
        " stamps, adjustments, carried_in, net) values (?, 'M000003', date '2026-11-01', date '2026-11-05',"
        " timestamp '2026-11-11 23:59:59', date '2026-11-16', timestamp '2026-11-12 06:00:00', 'schedule',"
        " 1, 6, 3, 103000, 13360, 1336, 200, 0, 0, 88104)", [sid])
    lines = [
        (1, "p1", "payment", "C-3001", "ministop", "2026-11-04", 45000, 120, 0, None),
        (2, "p2", "payment", "C-3002", "daily", "2026-11-04", 50000, 120, 200, None),
        (3, "p3", "payment", "C-3003", "seicomart", "2026-11-05", 8000, 120, 0, None),
        (4, None, "monthly_fee", None, None, None, 3000, 0, 0, "2026-11-01"),
        (5, None, "initial_fee", None, None, None, 10000, 0, 0, None),
        (6, None, "tax", None, None, None, 1336, 0, 0, None),
    ]
    for n, pid, kind, oid, chain, paid, amount, fee, stamp, month in lines:
        con.execute("insert into settlement_lines (settlement_id, line_no, payment_id, kind, order_id, chain,"
                    " paid_date, amount, fee, stamp, fee_month) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [sid, n, pid, kind, oid, chain, paid, amount, fee, stamp, month])
    con.execute("insert into payout_transfers (payout_date, merchant_id, amount, bank_code, branch_code,"
                " account_type, account_number) values (date '2026-11-16', 'M000003', 88104, '0001', '100',"
                " '2', '0001111')")


@pytest.fixture
def settled_world(small_world):
    with small_world.write() as con:
        insert_settlement_m000003(con)
    return small_world


def insert_operations_facts(con) -> None:
    """A few rows of what the operations summary reads: statuses, open exceptions (one a sequence
    gap), a quarantined file with its reasons, a dead-lettered notification."""
    for oid, status in (("A-1001", "confirmed"), ("A-1004", "expired"), ("B-2002", "expired"),
                        ("C-3001", "settled")):
        con.execute(
            "insert into order_status select merchant_id, order_id, chain, payment_reference, amount,"
            " due_date, ?, null, timestamp '2026-11-20 00:00' from orders where order_id = ?", [status, oid])
    con.execute("""insert into exceptions (exception_id, code, holds, payment_id, merchant_id, order_id,
                   chain, reference, amount, raised_at, state, as_of) values
        ('EX1', 'DUPLICATE_PAYMENT', true, 'p9', 'M000001', 'A-1005', 'seven', '1000000000005', 2000,
         timestamp '2026-11-04 21:05', 'open', timestamp '2026-11-20 00:00'),
        ('EX2', 'PRELIM_NOT_CONFIRMED', false, 'p9', 'M000001', 'A-1005', 'seven', '1000000000005', 2000,
         timestamp '2026-11-19 00:00', 'open', timestamp '2026-11-20 00:00'),
        ('EX3', 'UNKNOWN_REFERENCE', true, 'p8', null, null, 'lawson', '29999999999', 1500,
         timestamp '2026-11-04 21:05', 'resolved', timestamp '2026-11-20 00:00')""")
    con.execute("""insert into exceptions (exception_id, code, holds, sequence_kind, sequence_no, raised_at,
                   state, as_of) values ('EX4', 'FILE_SEQUENCE_GAP', false, 'SEJ_01', 3,
                   timestamp '2026-11-18 10:00', 'open', timestamp '2026-11-20 00:00')""")
    con.execute("""insert into inbound_files values (900, 'sej', 'SEJ_01_20261110090000_000002.dat', 'SEJ_01',
                   2, timestamp '2026-11-10 09:00', 'abc', 10, 'x'::blob, timestamp '2026-11-10 09:30',
                   'quarantined')""")
    con.execute("insert into rejections values (900, 4, 'total', '000000003981',"
                " 'trailer total 3,981 differs from the records'' sum 3,980')")
    con.execute("""insert into notification_outbox (event_id, type, subject, merchant_id, order_id, chain,
                   amount, happened_at, created_at, state, window_start, attempts, next_attempt_at,
                   last_error) values ('ev1', 'payment.preliminary', 'p1', 'M000001', 'A-1001', 'seven',
                   3980, timestamp '2026-11-04 21:05', timestamp '2026-11-04 21:05', 'dead',
                   timestamp '2026-11-04 21:05', 40, timestamp '2026-11-07 21:05', 'HTTP 500')""")


@pytest.fixture
def ops_world(settled_world):
    with settled_world.write() as con:
        insert_operations_facts(con)
    return settled_world


@pytest.fixture
def tls_smtp_server(tmp_path, monkeypatch):
    """A real SMTP server requiring STARTTLS and a login (as a production relay does), with a
    self-signed certificate for 127.0.0.1 that the client trusts through SSL_CERT_FILE."""
    import ssl
    import subprocess

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"reports" and auth_data.password == b"s3cret"
        return AuthResult(success=ok)

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, authenticator=authenticator, auth_required=True)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    for k, v in {"HOST": "127.0.0.1", "PORT": str(port), "STARTTLS": "true", "USERNAME": "reports",
                 "PASSWORD": "s3cret"}.items():
        monkeypatch.setenv(f"KONBINI_SMTP__{k}", v)
    yield inbox
    controller.stop()


class SlowInbox(Inbox):
    """A relay that queues the message at once but answers DATA after `delay` seconds, counting how
    many messages it holds at the same time (the sender's parallelism)."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay
        self.in_flight = 0
        self.peak = 0

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        self.messages.append(envelope)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        return "250 Message accepted for delivery"


class RefusingInbox(Inbox):
    """A relay answering RCPT TO (or, with `at_data`, the message's DATA) with `reply`, e.g. a
    permanent 550 or a temporary 451."""

    def __init__(self, reply: str, at_data: bool = False):
        super().__init__()
        self.reply = reply
        self.at_data = at_data
        self.tries = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.at_data:
            envelope.rcpt_tos.append(address)
            return "250 OK"
        self.tries += 1
        return self.reply

    async def handle_DATA(self, server, session, envelope):
        self.tries += 1
        return self.reply


@pytest.fixture
def relay(monkeypatch):
    """Start a real aiosmtpd relay on loopback with a given handler; KONBINI_SMTP__* point at it."""
    from aiosmtpd.controller import Controller

    started = []

    def start(handler, **kwargs):
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        for k, v in {"HOST": "127.0.0.1", "PORT": str(port), "STARTTLS": "false"}.items():
            monkeypatch.setenv(f"KONBINI_SMTP__{k}", v)
        return handler

    yield start
    for c in started:
        c.stop()
