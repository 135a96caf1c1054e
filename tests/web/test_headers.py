"""Every answer of the app carries portal.md's headers, on a real server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import uvicorn

from web.app import create_app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unknown_page_has_security_headers(tmp_path):
    from tasks.settings import Settings

    app = create_app(Settings(data_dir=tmp_path))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        answer = httpx.get(f"http://127.0.0.1:{port}/no-such-page")
    finally:
        server.should_exit = True
        thread.join(10)
    assert answer.status_code == 404
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "unsafe-inline" not in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["cache-control"] == "no-store"
