"""`konbini users …` as an operator types it: add, list, reset-password, disable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tasks.portal.accounts import authenticate

REPO = Path(__file__).resolve().parents[2]


def konbini(settings, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KONBINI_")}
    env.update(KONBINI_DATA_DIR=str(settings.data_dir), PYTHONPATH=str(REPO), COLUMNS="120", NO_COLOR="1")
    if password is not None:
        env["KONBINI_NEW_PASSWORD"] = password
    return subprocess.run([sys.executable, "-c", "from flows.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_add_list_reset_disable(world):
    r = konbini(world, "users", "add", "keiri", "--merchant", "M000003", password="twelve chars ok")
    assert r.returncode == 0, r.stderr
    assert "user keiri added: merchant of M000003" in r.stdout
    assert authenticate(world, "keiri", "twelve chars ok", 0.0) is not None
    short = konbini(world, "users", "add", "other", "--role", "operator", password="short")
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    again = konbini(world, "users", "add", "keiri", "--merchant", "M000003", password="twelve chars ok")
    assert again.returncode == 2 and "already exists" in again.stderr
    listed = konbini(world, "users", "list")
    assert "keiri" in listed.stdout and "M000003" in listed.stdout and "ops" in listed.stdout
    assert konbini(world, "users", "reset-password", "keiri", password="another password").returncode == 0
    assert authenticate(world, "keiri", "twelve chars ok", 1.0) is None
    assert authenticate(world, "keiri", "another password", 2.0) is not None
    assert konbini(world, "users", "disable", "keiri").returncode == 0
    assert authenticate(world, "keiri", "another password", 3.0) is None
    assert "disabled" in konbini(world, "users", "list", "--role", "merchant").stdout
