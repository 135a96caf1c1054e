"""`konbini reports …` on a real warehouse (and a real SMTP server for resend)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tasks.errors import KonbiniError

runner = CliRunner()


def test_render_one_of_each_then_list_and_check(settled_world, data_dir):
    root = data_dir / "out" / "reports"
    r = runner.invoke(app, ["reports", "collection", "--merchant", "M000001", "--day", "2026-11-04"])
    assert r.exit_code == 0, r.output
    assert (root / "M000001" / "collection_2026-11-04.pdf").is_file()
    r = runner.invoke(app, ["reports", "statement", "--settlement", "M000003-20261101",
                            "--csv-encoding", "cp932"])
    assert r.exit_code == 0, r.output
    csv = (root / "M000003" / "statement_M000003-20261101.csv").read_bytes()
    assert not csv.startswith(b"\xef\xbb\xbf") and "明細番号" in csv.decode("cp932")
    r = runner.invoke(app, ["reports", "schedule", "--merchant", "M000002", "--month", "2027-01",
                            "--csv-header", "en"])
    assert r.exit_code == 0, r.output
    header = (root / "M000002" / "schedule_2027-01.csv").read_bytes().decode("utf-8-sig").splitlines()[0]
    assert header == ("merchant_id,month,settlement_cycle,period_start,period_end,cutoff,payout_date,"
                      "nominal_payout_date")
    r = runner.invoke(app, ["reports", "list"])
    assert r.exit_code == 0, r.output
    for rid in ("collection/M000001/2026-11-04", "statement/M000003/M000003-20261101",
                "schedule/M000002/2027-01"):
        assert rid in r.output
    r = runner.invoke(app, ["reports", "check", str(root / "M000002" / "schedule_2027-01.pdf")])
    assert r.exit_code == 0 and "fonts OK" in r.output


@pytest.mark.parametrize("args, message", [
    (["collection", "--merchant", "X1", "--day", "2026-11-04"], "not a merchant id"),
    (["collection", "--merchant", "M000001", "--day", "11/04"], "not a date"),
    (["statement", "--settlement", "M000009-20261101"], "not found"),
    (["schedule", "--merchant", "M000009", "--month", "2027-01"], "no such merchant"),
    (["schedule", "--merchant", "M000001", "--month", "2027-13"], "not a month (YYYY-MM)"),
    (["collection", "--merchant", "M000009", "--day", "2026-11-04"], "no such merchant"),
    (["list", "--merchant", "M000009"], "no such merchant"),
    (["collection", "--merchant", "M000001", "--day", "2026-11-04", "--csv-encoding", "latin-1"],
     "use utf-8"),
    (["collection", "--merchant", "M000001", "--day", "2026-11-04", "--csv-header", "fr"], "use ja"),
    (["resend", "collection/M000001/2026-11-04"], "no SMTP host"),
    (["check", "/nonexistent.pdf"], "is not a file"),
])
def test_user_errors_are_clear(settled_world, args, message):
    r = runner.invoke(app, ["reports", *args])
    assert isinstance(r.exception, KonbiniError), r.output
    assert message in str(r.exception)


def test_resend_through_a_real_smtp_server(settled_world, smtp_server):
    assert runner.invoke(app, ["reports", "statement", "--settlement", "M000003-20261101"]).exit_code == 0
    r = runner.invoke(app, ["reports", "resend", "statement/M000003/M000003-20261101", "--to", "a@b.example"])
    assert r.exit_code == 0, r.output
    assert "round 1" in r.output
    assert smtp_server.messages[0].rcpt_tos == ["a@b.example"]
    r = runner.invoke(app, ["reports", "resend", "statement/M000003/M000003-20261101"])
    assert r.exit_code == 0 and "office@mihon.example (round 1)" in r.output
