"""`konbini master check|load` and notifications: a notify_url that notifications may not be posted to
is refused (the SSRF rules of tasks.notify.targets), and a rejected notify_secret is never printed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tasks.master import validate_master

runner = CliRunner()
SECRET = "k3J9xQ2mV8pL5tR1wZ7yB4nC6dF0gH2s"
URL = "https://merchant1.example/hooks/konbini"


def edited(sample_master: Path, tmp_path: Path, old: str, new: str) -> Path:
    d = tmp_path / "master"
    shutil.copytree(sample_master, d)
    m = d / "merchants.csv"
    text = m.read_text(encoding="utf-8")
    assert old in text
    m.write_text(text.replace(old, new), encoding="utf-8")
    return d


@pytest.mark.parametrize(
    "url, words",
    [
        ("https://127.1/hook", "loopback"),
        ("https://0x7f000001/hook", "loopback"),
        ("https://2130706433/hook", "loopback"),
        ("https://[::ffff:127.0.0.1]/hook", "non-global"),
        ("https://0.0.0.0/hook", "non-global"),
        ("https://localhost/hook", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "non-global"),
        ("https://10.1.2.3/hook", "non-global"),
        ("https://100.64.0.1/hook", "non-global"),
        ("https://[fd00::1]/hook", "non-global"),
        ("https://ops:hunter2@merchant1.example/hooks", "user name or password"),
    ],
)
def test_check_refuses_a_notify_url_notifications_may_not_use(sample_master, tmp_path, url, words):
    frames, reasons = validate_master(edited(sample_master, tmp_path, URL, url))
    assert frames == {}
    assert [(r.file, r.line_no, r.field) for r in reasons] == [("merchants.csv", 2, "notify_url")]
    assert words in reasons[0].reason
    assert "hunter2" not in str(reasons[0])


def test_a_rejected_secret_is_never_printed(data_dir, sample_master, tmp_path):
    short = "Zq8#short-secret"
    bad = edited(sample_master, tmp_path, SECRET, short)
    for command in ("check", "load"):
        r = runner.invoke(app, ["master", command, str(bad)])
        assert r.exit_code == 2, r.output
        assert "notify_secret" in r.output and "at least 32" in r.output
        assert "16 characters, not shown" in r.output
        assert short not in r.output and "short-secret" not in r.output
    spaced = SECRET[:20] + " " + SECRET[20:]
    _, reasons = validate_master(edited(sample_master, tmp_path / "2", SECRET, spaced))
    assert [r.field for r in reasons] == ["notify_secret"]
    assert SECRET[:20] not in str(reasons[0]) and reasons[0].value == "(33 characters, not shown)"
