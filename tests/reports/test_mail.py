import email
import time
from datetime import date

import pytest

from tasks.render import collection
from tasks.render.jobs import record_outputs, render_many
from tasks.render.mail import Delivery, deliver, deliver_many, due_deliveries, open_resend
from tasks.settings import get_settings


def _render(small_world, settings, as_of, out_root):
    with small_world.read() as con:
        jobs = [collection.gather(con, m, date(2026, 11, 4), settings, as_of) for m in ("M000001", "M000002")]
    rendered = render_many(jobs, out_root, workers=1)
    with small_world.write() as con:
        record_outputs(con, rendered, out_root, as_of)
    return rendered


def _states(wh):
    with wh.read() as con:
        return con.execute(
            "select report_id, recipient, round, attempts, state from v_report_deliveries order by all"
        ).fetchall()


def test_reports_are_mailed_once_with_pdf_and_csv(small_world, smtp_server, as_of, tmp_path):
    settings = get_settings()
    out = tmp_path / "out"
    _render(small_world, settings, as_of, out)
    with small_world.read() as con:
        due = due_deliveries(con, out)
    assert [(d.report_id, d.recipient) for d in due] == [
        ("collection/M000001/2026-11-04", "ops@sample-shop.example"),
        ("collection/M000002/2026-11-04", "books@test-pub.example"),
    ]
    for d in due:
        assert deliver(small_world, d, settings, as_of, backoff_s=0).state == "accepted"
    assert len(smtp_server.messages) == 2
    env = smtp_server.messages[0]
    assert env.rcpt_tos == ["ops@sample-shop.example"]
    msg = email.message_from_bytes(env.content)
    assert "収納結果" in str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    names = sorted(p.get_filename() for p in msg.walk() if p.get_filename())
    assert names == ["collection_2026-11-04.csv", "collection_2026-11-04.pdf"]
    pdf = next(p for p in msg.walk() if p.get_filename() == "collection_2026-11-04.pdf")
    assert pdf.get_payload(decode=True) == (out / "M000001" / "collection_2026-11-04.pdf").read_bytes()
    # nothing is due any more: an accepted delivery is never sent again by itself
    with small_world.read() as con:
        assert due_deliveries(con, out) == []
    assert [s[4] for s in _states(small_world)] == ["accepted", "accepted"]


def test_a_failed_send_is_logged_and_retried_until_accepted(small_world, smtp_server, as_of, tmp_path):
    settings = get_settings()
    out = tmp_path / "out"
    _render(small_world, settings, as_of, out)
    smtp_server.stop()  # the relay is down
    with small_world.read() as con:
        due = due_deliveries(con, out)
    first = deliver(small_world, due[0], settings, as_of, tries=2, backoff_s=0)
    assert first.state == "failed" and first.attempts == 2
    assert _states(small_world)[0][3:] == (2, "failed")
    smtp_server.start()  # back up: the next run retries what failed
    with small_world.read() as con:
        again = due_deliveries(con, out)
    assert again[0].report_id == due[0].report_id and again[0].attempts == 2
    assert deliver(small_world, again[0], settings, as_of, backoff_s=0).state == "accepted"
    assert len(smtp_server.messages) == 1
    with small_world.read() as con:
        (error,) = con.execute(
            "select detail from report_deliveries where event = 'failed' limit 1").fetchone()
    assert "Connection refused" in error or "ConnectionRefused" in error


def test_an_attempt_without_outcome_is_not_retried_but_can_be_resent(
    small_world, smtp_server, as_of, tmp_path
):
    """A crash between the server's acceptance and our commit leaves `attempt` alone: at most once."""
    settings = get_settings()
    out = tmp_path / "out"
    _render(small_world, settings, as_of, out)
    with small_world.read() as con:
        d = due_deliveries(con, out)[0]
    with small_world.write() as con:
        con.execute("insert into report_deliveries values (?, ?, 0, 1, 'attempt',"
                    " timestamp '2026-11-20 07:00', '<x>', null, null, null, 'schedule')",
                    [d.report_id, d.recipient])
    unknown = ("collection/M000001/2026-11-04", "ops@sample-shop.example", 0, 1, "unknown")
    assert unknown in _states(small_world)
    with small_world.read() as con:
        assert [x.report_id for x in due_deliveries(con, out)] == ["collection/M000002/2026-11-04"]
    resend = open_resend(small_world, out, d.report_id, requested_by="operator")
    assert resend.round == 1
    assert deliver(small_world, resend, settings, as_of, backoff_s=0).state == "accepted"
    assert len(smtp_server.messages) == 1
    with pytest.raises(Exception, match="has not been rendered"):
        open_resend(small_world, out, "collection/M000009/2026-11-04", requested_by="operator")


def test_starttls_and_login_as_with_a_production_relay(small_world, tls_smtp_server, as_of, tmp_path):
    settings = get_settings()
    out = tmp_path / "out"
    _render(small_world, settings, as_of, out)
    with small_world.read() as con:
        d = due_deliveries(con, out)[0]
    assert deliver(small_world, d, settings, as_of, backoff_s=0).state == "accepted"
    assert len(tls_smtp_server.messages) == 1
    assert tls_smtp_server.messages[0].rcpt_tos == [d.recipient]


def test_a_missing_file_is_reported_not_sent_and_not_logged(small_world, smtp_server, as_of, tmp_path):
    settings = get_settings()
    out = tmp_path / "out"
    rendered = _render(small_world, settings, as_of, out)
    rendered[0].pdf_path.unlink()
    with small_world.read() as con:
        d = due_deliveries(con, out)[0]
    o = deliver(small_world, d, settings, as_of, backoff_s=0)
    assert o.state == "failed" and "missing" in o.error and smtp_server.messages == []
    assert _states(small_world) == []


# --- at most once against real relays that misbehave (issue 11 item 6) ----------------------------


def _due(wh, out):
    with wh.read() as con:
        return due_deliveries(con, out)


def _ids(relay_inbox):
    return [email.message_from_bytes(e.content)["Message-ID"] for e in relay_inbox.messages]


def test_a_relay_answering_after_the_timeout_is_unknown_and_never_sent_again(
    small_world, relay, as_of, tmp_path, monkeypatch
):
    """The relay queues the message but its 250 comes after our timeout: the outcome is `unknown`;
    neither this try nor a later run sends it again (7 messages for 6 Message-IDs before)."""
    from tests.reports.conftest import SlowInbox

    slow = relay(SlowInbox(delay=2.0))
    monkeypatch.setenv("KONBINI_SMTP__TIMEOUT_S", "0.5")
    settings = get_settings()
    out = tmp_path / "out"
    _render(small_world, settings, as_of, out)
    outcomes = deliver_many(small_world, _due(small_world, out), settings, as_of, backoff_s=0)
    assert [(o.state, o.attempts) for o in outcomes] == [("unknown", 1), ("unknown", 1)]
    assert "no answer after the message was sent" in outcomes[0].error
    assert [s[3:] for s in _states(small_world)] == [(1, "unknown"), (1, "unknown")]
    assert _due(small_world, out) == []  # a later run sends nothing
    time.sleep(2.5)  # let the relay finish answering
    ids = _ids(slow)
    assert len(ids) == 2 and len(set(ids)) == 2  # each Message-ID exactly once
    with small_world.read() as con:
        (detail,) = con.execute(
            "select detail from report_deliveries where event = 'unknown' limit 1").fetchone()
    assert "timed out" in detail


@pytest.mark.parametrize("reply, at_data, state, tries", [
    ("550 5.1.1 <ops@sample-shop.example>: mailbox unavailable", False, "rejected", 1),
    ("451 4.3.0 try again later", False, "failed", 3),
    ("554 5.6.0 message content rejected", True, "rejected", 1),  # an answer to DATA is no doubt
    ("452 4.3.1 insufficient system storage", True, "failed", 3),
])
def test_a_permanent_5xx_is_rejected_for_good_a_4xx_is_retried(small_world, relay, as_of, tmp_path,
                                                                reply, at_data, state, tries):
    from tests.reports.conftest import RefusingInbox

    refusing = relay(RefusingInbox(reply, at_data))
    settings = get_settings()
    out = tmp_path / "out"
    _render(small_world, settings, as_of, out)
    d = _due(small_world, out)[0]
    o = deliver(small_world, d, settings, as_of, backoff_s=0)
    assert (o.state, o.attempts) == (state, tries) and reply.split()[0] in o.error
    assert refusing.tries == tries and refusing.messages == []
    again = [x.report_id for x in _due(small_world, out)]
    assert (d.report_id in again) == (state == "failed")  # only a transient failure is due again


def test_login_without_tls_needs_an_explicit_setting(small_world, relay, as_of, tmp_path, monkeypatch):
    from aiosmtpd.smtp import AuthResult

    from tasks.errors import KonbiniError
    from tests.reports.conftest import Inbox

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.login == b"reports" and auth_data.password == b"s3cret")

    inbox = relay(Inbox(), authenticator=authenticator, auth_required=True, auth_require_tls=False)
    monkeypatch.setenv("KONBINI_SMTP__USERNAME", "reports")
    monkeypatch.setenv("KONBINI_SMTP__PASSWORD", "s3cret")
    out = tmp_path / "out"
    _render(small_world, get_settings(), as_of, out)
    due = _due(small_world, out)
    with pytest.raises(KonbiniError, match="password would cross the network in clear"):
        deliver_many(small_world, due, get_settings(), as_of, backoff_s=0)
    with pytest.raises(KonbiniError, match="ALLOW_PLAINTEXT_AUTH"):
        deliver(small_world, due[0], get_settings(), as_of, backoff_s=0)
    assert inbox.messages == [] and _states(small_world) == []  # nothing tried, nothing logged
    monkeypatch.setenv("KONBINI_SMTP__ALLOW_PLAINTEXT_AUTH", "true")
    outcomes = deliver_many(small_world, due, get_settings(), as_of, backoff_s=0)
    assert [o.state for o in outcomes] == ["accepted", "accepted"] and len(inbox.messages) == 2


def test_deliveries_are_sent_in_parallel_within_the_bound(warehouse, relay, as_of, tmp_path, monkeypatch):
    from tests.reports.conftest import SlowInbox

    slow = relay(SlowInbox(delay=0.6))
    monkeypatch.setenv("KONBINI_SMTP__CONNECTIONS", "3")
    pdf, csv = tmp_path / "r.pdf", tmp_path / "r.csv"
    pdf.write_bytes(b"%PDF-1.7\n")
    csv.write_bytes(b"a\r\n")
    due = [Delivery(report_id=f"collection/M00000{i}/2026-11-04", kind="collection", merchant_id=f"M00000{i}",
                    subject="2026-11-04", recipient=f"m{i}@shop.example", round=0, attempts=0,
                    requested_by="schedule", pdf_path=pdf, csv_path=csv) for i in range(1, 7)]
    outcomes = deliver_many(warehouse, due, get_settings(), as_of, backoff_s=0)
    assert [o.state for o in outcomes] == ["accepted"] * 6
    assert len(set(_ids(slow))) == 6
    assert 1 < slow.peak <= 3


def test_a_run_with_undelivered_mail_is_not_plain_green(prefect_harness, small_world, relay, data_dir):
    from datetime import datetime

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    from flows.reports import render_reports
    from tasks.clock import JST
    from tests.reports.conftest import RefusingInbox

    relay(RefusingInbox("550 5.1.1 mailbox unavailable"))
    # called plainly (as the CLI does) the flow returns its summary
    summary = render_reports(as_of=datetime(2026, 11, 5, 7, 0, tzinfo=JST), workers=1)
    assert summary["accepted"] == 0 and summary["rejected"] == 5 and summary["failed"] == 5
    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)  # the run just made
    assert run.state.is_completed() and run.state.name == "Undelivered"
    assert "5 report e-mails not accepted (5 rejected, 0 unknown)" in run.state.message
    # nothing is retried by the next run, which is plain Completed
    state = render_reports(as_of=datetime(2026, 11, 5, 9, 0, tzinfo=JST), workers=1, return_state=True)
    assert state.name == "Completed" and state.result()["rendered"] == 0
