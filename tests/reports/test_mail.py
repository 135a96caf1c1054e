import email
from datetime import date

import pytest

from tasks.render import collection
from tasks.render.jobs import record_outputs, render_many
from tasks.render.mail import deliver, due_deliveries, open_resend
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
