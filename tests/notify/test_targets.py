"""Webhook targets (SSRF): only global addresses, checked on the resolved address the connection then
uses; no credentials in URLs, attempts or reasons. Real servers on 127.0.0.1, a resolver hook."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tasks.clock import JST
from tasks.notify.delivery import deliver_due
from tasks.notify.outbox import enqueue_events
from tasks.notify.targets import TargetRefused, address_refusal, pin, redact, refusal
from tests.notify.conftest import resolver_of

SECRET = "s1-" + "a" * 40
T0 = datetime(2026, 11, 4, 12, 0, tzinfo=JST)
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/h", "https://127.1/h", "https://0x7f000001/h", "https://2130706433/h",
        "https://[::ffff:127.0.0.1]/h", "https://0.0.0.0/h", "https://[::]/h", "https://[::1]/h",
        "https://localhost/h", "https://LOCALHOST./h", "https://api.localhost/h",
        "https://10.0.0.1/h", "https://172.16.5.4/h", "https://192.168.1.1/h", "https://012.0.0.1/h",
        "https://169.254.169.254/latest/meta-data", "https://100.64.0.1/h", "https://[fd00::1]/h",
        "https://[fe80::1]/h", "https://224.0.0.1/h", "https://255.255.255.255/h",
        "https://[64:ff9b::a00:1]/h", "https://[2002:a00:1::]/h",
        "https://user:pass@merchant.example/h", "https://token@merchant.example/h",
        "http://merchant.example/h", "ftp://merchant.example/h", "", None, "not a url",
    ],
)
def test_refused_in_every_spelling(url):
    assert refusal(url, allow_loopback=False) is not None


@pytest.mark.parametrize("url", ["https://merchant.example/hooks/konbini", "https://8.8.8.8/h",
                                 "https://[2001:4860:4860::8888]:8443/h", "https://例え.jp/h"])
def test_global_https_targets_pass_the_url_check(url):
    assert refusal(url, allow_loopback=False) is None


def test_the_loopback_switch_admits_loopback_only():
    assert refusal("http://127.1:8080/h", allow_loopback=True) is None
    assert refusal("http://localhost/h", allow_loopback=True) is None
    assert refusal("https://10.0.0.1/h", allow_loopback=True) is not None
    assert refusal("https://169.254.169.254/h", allow_loopback=True) is not None
    assert address_refusal("127.0.0.1", True) is None and address_refusal("::1", True) is None
    assert address_refusal("192.168.0.1", True) is not None


@pytest.mark.parametrize(
    "answers",
    [["10.0.0.7"], ["169.254.169.254"], ["100.100.100.200"], ["127.0.0.1"], ["::ffff:127.0.0.1"],
     ["fd12:3456::1"], ["0.0.0.0"], ["8.8.8.8", "192.168.0.10"]],  # one bad answer is enough
)
def test_resolved_addresses_are_checked(answers):
    with pytest.raises(TargetRefused, match="address"):
        pin("merchant.example", 443, False, resolver_of({"merchant.example": answers}))
    assert pin("merchant.example", 443, False, resolver_of({"merchant.example": ["8.8.8.8"]})) == "8.8.8.8"


def test_credentials_never_shown():
    assert redact("https://user:pw@merchant.example/h?x=1") == "https://***@merchant.example/h?x=1"
    assert "pw" not in refusal("https://user:pw@merchant.example/h")


def one_event(facts, url):
    facts.master(datetime(2026, 11, 1, tzinfo=JST), {"M000001": (url, SECRET)})
    facts.order("M000001", "A-1", "seven", "1000000000001", 3980, date(2026, 11, 9),
                datetime(2026, 11, 2, 10, tzinfo=JST))
    facts.record("seven", "01", "1000000000001", datetime(2026, 11, 3, 9, 15, tzinfo=JST), "0001234",
                 3980, datetime(2026, 11, 3, 10, tzinfo=JST))
    assert enqueue_events(facts.con, T0) == 1


def test_a_name_resolving_to_an_internal_address_is_never_connected(facts, warehouse, tls, raw_servers):
    server = raw_servers(tls[0], OK)
    one_event(facts, f"https://hook.test:{server.port}/m1")
    calls: list[str] = []
    summary = deliver_due(warehouse, T0, resolver=resolver_of({"hook.test": ["127.0.0.1"]}, calls),
                          verify=tls[1], timeout_s=5)
    assert summary["failed"] == 1 and server.connections == 0 and calls == ["hook.test"]
    (error,) = facts.con.execute("select error from notification_attempts").fetchone()
    assert error == "refused: hook.test: 127.0.0.1 is a loopback address (allowed in tests only)"


def test_the_connection_goes_to_the_checked_address_with_the_hosts_name(facts, warehouse, tls, raw_servers):
    """hook.test resolves only through our hook (no DNS knows it): the request reaching the server
    proves the connection used the checked address, and TLS verified hook.test's certificate."""
    server = raw_servers(tls[0], OK)
    one_event(facts, f"https://hook.test:{server.port}/m1")
    calls: list[str] = []
    summary = deliver_due(warehouse, T0, allow_loopback=True, verify=tls[1], timeout_s=5,
                          resolver=resolver_of({"hook.test": ["127.0.0.1"]}, calls))
    assert summary["delivered"] == 1
    assert server.server_names == ["hook.test"]  # SNI: the URL's name, not the address
    assert f"Host: hook.test:{server.port}" in server.heads[0].split("\r\n")
    assert calls == ["hook.test"]  # resolved once, for the one connection


def test_attempts_never_hold_credentials(facts, warehouse, hook):
    one_event(facts, hook.url("/m1").replace("http://", "http://ops:hunter2@"))
    assert deliver_due(warehouse, T0, allow_loopback=True, timeout_s=5)["failed"] == 1
    assert hook.received == []
    url, error = facts.con.execute("select url, error from notification_attempts").fetchone()
    last_error = facts.con.execute("select last_error from notification_outbox").fetchone()[0]
    assert url.startswith("http://***@127.0.0.1:") and "user name or password" in error
    assert "hunter2" not in url + error + last_error


def test_migration_0007_drops_credentials_from_earlier_attempts(warehouse):
    from tasks.warehouse import migrate

    with warehouse.write() as con:
        con.execute("insert into notification_attempts values ('e1', 1, timestamp '2026-11-01 10:00',"
                    " 'https://ops:hunter2@merchant.example/h?x=1', 500, 10, 'HTTP 500', false),"
                    " ('e2', 1, timestamp '2026-11-01 10:00', 'https://merchant.example/a@b', 200, 10, null,"
                    " true)")
        # as before 0007: the attempts were recorded first, then the migration runs
        con.execute("delete from schema_migrations where version = 7")
        con.execute("drop table notification_enqueue_marks")
    with warehouse.write() as con:
        assert migrate(con) == []  # Warehouse.write() already migrated on connecting
        urls = con.execute("select url from notification_attempts order by event_id").fetchall()
    assert urls == [("https://***@merchant.example/h?x=1",), ("https://merchant.example/a@b",)]
