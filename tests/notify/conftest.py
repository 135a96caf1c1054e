"""Fixtures for the notifications area: fact rows inserted with SQL into the real tables, and a real
HTTP server on 127.0.0.1 that records what it receives."""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tasks.clock import naive_jst


class Facts:
    """Writes master data, orders and feed records the way the other areas' migrations define them."""

    def __init__(self, con):
        self.con = con
        self.file_id = 0

    def master(self, loaded_at: datetime, merchants: dict[str, tuple[str | None, str | None]]) -> int:
        """A master load: merchant_id -> (notify_url, notify_secret)."""
        (load_id,) = self.con.execute("select coalesce(max(load_id), 0) + 1 from master_loads").fetchone()
        self.con.execute(
            "insert into master_loads values (?, ?, 'test', ?)", [load_id, naive_jst(loaded_at), str(load_id)]
        )
        for mid, (url, secret) in merchants.items():
            self.con.execute(
                "insert into merchants values (?, ?, '名前', 'ﾅﾏｴ', 'active', date '2026-01-01', 1, 'P1',"
                " '0005', '001', '1', '1234567', ?, ?, 'x@example.jp')",
                [load_id, mid, url, secret],
            )
        return load_id

    def order(self, merchant_id: str, order_id: str, chain: str, reference: str, amount: int,
              due: date, ingested_at: datetime) -> None:
        self.file_id += 1  # each order in a file of its own: file ids grow in commit order
        self.con.execute(
            "insert into orders values (?, 'S000001', ?, ?, ?, ?, 'taxable', 0, ?, ?, ?, 1, ?)",
            [merchant_id, order_id, chain, reference, amount, naive_jst(ingested_at), due,
             self.file_id, naive_jst(ingested_at)],
        )
        self.con.execute(
            "insert into order_customers values (?, ?, 'ヤマダ　タロウ', '0312345678', 'taro@example.jp')",
            [merchant_id, order_id],
        )

    def record(self, chain: str, kind: str, reference: str, paid: datetime, store: str, amount: int,
               ingested_at: datetime) -> str:
        """One feed record in a file of its own; returns the payment_id."""
        self.file_id += 1
        paid_time = paid.strftime("%H%M%S")
        ident = "|".join([chain, reference, paid.strftime("%Y-%m-%d"), paid_time, store, str(amount)])
        payment_id = hashlib.md5(ident.encode()).hexdigest()
        event_id = hashlib.md5(f"{ident}|{kind}".encode()).hexdigest()
        self.con.execute(
            "insert into feed_records values (?, 1, 'SEJ', ?, ?, ?, ?, ?, ?, ?, false, null, null, null,"
            " null, null, ?, ?, ?, ?)",
            [self.file_id, chain, kind, reference, paid.date(), paid_time, store, amount,
             naive_jst(ingested_at), naive_jst(ingested_at), event_id, payment_id],
        )
        return payment_id


@pytest.fixture
def facts(warehouse):
    with warehouse.write() as con:
        pass  # migrated
    import duckdb

    con = duckdb.connect(str(warehouse.path))
    yield Facts(con)
    con.close()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Hook:
    """A real HTTP server on 127.0.0.1. `script` is a list of responses served in turn per path
    (then `default`): an int status code, or ('hang', seconds), or ('redirect', location)."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    script: dict[str, list] = field(default_factory=dict)
    default: object = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        host, port = self.server.server_address[:2]
        return f"http://127.0.0.1:{port}{path}"

    def bodies(self, path: str | None = None) -> list[dict]:
        return [r.json for r in self.received if path is None or r.path == path]


@pytest.fixture
def hook():
    state: dict[str, Hook] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output quiet
            pass

        def do_POST(self):
            h = state["hook"]
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with h.lock:
                h.received.append(Received(self.path, dict(self.headers.items()), body, time.monotonic()))
                queue = h.script.get(self.path, [])
                action = queue.pop(0) if queue else h.default
            if isinstance(action, tuple) and action[0] == "hang":
                time.sleep(action[1])
                action = 200
            if isinstance(action, tuple) and action[0] == "redirect":
                self.send_response(302)
                self.send_header("Location", action[1])
            else:
                self.send_response(action)
            self.send_header("Content-Length", "0")
            self.end_headers()

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # many concurrent connects (the default backlog is 5)
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    h = Hook(server)
    state["hook"] = h
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield h
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback(monkeypatch, data_dir):
    monkeypatch.setenv("KONBINI_NOTIFY_ALLOW_LOOPBACK", "true")
    from tasks.settings import get_settings

    return get_settings()


class RawServer:
    """A real server on 127.0.0.1 (TLS when given a context) that reads one request per connection,
    records its head and the TLS server name asked for, then answers `response` `chunk` bytes at a
    time with `delay` seconds between chunks (a trickling server when the delay is long)."""

    def __init__(self, tls: ssl.SSLContext | None, response: bytes, delay: float = 0.0, chunk: int = 1 << 16):
        self.tls, self.response, self.delay, self.chunk = tls, response, delay, chunk
        self.heads: list[str] = []
        self.server_names: list[str | None] = []
        self.connections = 0
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                got = conn.recv(65536)
                if not got:
                    return
                data += got
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), b"0"))
            while len(body) < length:
                body += conn.recv(65536)
            self.heads.append(head.decode("latin-1"))
            for i in range(0, len(self.response), self.chunk):
                conn.sendall(self.response[i:i + self.chunk])
                time.sleep(self.delay)
        except OSError:
            pass  # the client gave up (what the trickle tests expect)
        finally:
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def tls():
    """A test CA (trustme) and a server certificate for hook.test: (server context, client context)."""
    import trustme

    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hook.test").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


@pytest.fixture
def raw_servers():
    made: list[RawServer] = []

    def make(*args, **kw) -> RawServer:
        made.append(RawServer(*args, **kw))
        return made[-1]

    yield make
    for s in made:
        s.close()


def resolver_of(table: dict[str, list[str]], calls: list[str] | None = None):
    """A resolver hook answering from `table` (names not in it do not resolve), recording each call."""

    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise OSError(f"no such name: {host}")
        return table[host]

    return resolve
