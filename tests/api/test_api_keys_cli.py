"""`konbini api-keys create|list|revoke` as an operator runs them: the key printed once, stored only
as a digest, and refused by the API once revoked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.api.conftest import order

REPO = Path(__file__).resolve().parents[2]


def konbini(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-c", "from flows.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=120, cwd=REPO)


def test_create_list_revoke(server, settings):
    made = konbini("api-keys", "create", "M000002")
    assert made.returncode == 0, made.stderr
    head, secret = made.stdout.strip().splitlines()
    key_id = head.split()[1]
    assert head.startswith(f"key {key_id} for M000002") and secret.startswith("kb_live_")
    listed = konbini("api-keys", "list")
    assert key_id in listed.stdout and "active" in listed.stdout and secret not in listed.stdout
    stored = (settings.data_dir / "api" / "intake.sqlite").read_bytes()
    assert secret.encode() not in stored  # only its digest is kept

    body = order("K-1", site_id="S000002", merchant_id="M000002")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {secret}"}) as c:
        assert c.post("/api/v1/orders", json=body).status_code == 201
        assert konbini("api-keys", "revoke", key_id).returncode == 0
        assert c.get("/api/v1/orders/K-1").status_code == 401
    again = konbini("api-keys", "revoke", key_id)
    assert again.returncode == 2 and "no such active API key" in again.stderr
    assert "revoked" in konbini("api-keys", "list", "--merchant", "M000002").stdout
