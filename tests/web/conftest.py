"""The web's tests: the spec's sample scenario run through the real pipeline once (master, pull,
reconcile, settle, publish), copied for each test that changes it; users in the web's database;
the app on a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from tasks.clock import JST
from tasks.settings import Settings

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "samples"
PASSWORD = "correct horse battery"
USERS = {  # username: (role, merchant)
    "shop1": ("merchant", "M000001"),
    "shop2": ("merchant", "M000002"),
    "ops": ("operator", None),
}


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


def build_world(data: Path) -> Settings:
    """The samples as of 2026-11-20: M000003's settlement finalized (11-12), the others' drafts."""
    from tasks.ingest import pull
    from tasks.master import load_master
    from tasks.portal.accounts import add_user
    from tasks.reconcile.run import reconcile
    from tasks.settle.run import run_settlement
    from tasks.warehouse import Warehouse

    shutil.copytree(SAMPLES / "inbox", data / "inbox")
    settings = Settings(data_dir=data)
    wh = Warehouse(settings.warehouse_path)
    load_master(wh, SAMPLES / "master", jst(2026, 11, 1, 9))
    pull(wh, jst(2026, 11, 10, 9), settings, retry_delays=())
    with wh.write() as con:
        reconcile(con, jst(2026, 11, 12, 6))
        run_settlement(con, jst(2026, 11, 12, 7), settings, finalize=True, by="test")
        reconcile(con, jst(2026, 11, 20))
        run_settlement(con, jst(2026, 11, 20, 7), settings, by="test")
    wh.publish()
    for name, (role, merchant) in USERS.items():
        add_user(settings, name, role, merchant, PASSWORD, jst(2026, 11, 20))
    return settings


@pytest.fixture(scope="session")
def world_template(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("web-world") / "data"
    build_world(data)
    return data


@pytest.fixture
def world(world_template, tmp_path) -> Settings:
    """A fresh copy of the sample world for one test."""
    data = tmp_path / "data"
    shutil.copytree(world_template, data)
    return Settings(data_dir=data)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Running:
    url: str
    settings: Settings
    server: uvicorn.Server

    def client(self) -> httpx.Client:
        # the session cookie is Secure: httpx would not send it over http, so tests carry it by hand
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=60)


def serve(settings: Settings):
    from web.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield Running(f"http://127.0.0.1:{port}", settings, server)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def web(world):
    """The app on a real server over a fresh copy of the sample world."""
    yield from serve(world)


@pytest.fixture(scope="session")
def shared_web(world_template, tmp_path_factory):
    """One server over one copy of the world for the whole session, for tests that only read."""
    data = tmp_path_factory.mktemp("web-shared") / "data"
    shutil.copytree(world_template, data)
    yield from serve(Settings(data_dir=data))


def login(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    """Log in as a browser does: GET the form (its token), POST it; keeps the session cookie."""
    form = client.get("/login")
    token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    cookies = [f"konbini_login_csrf={form.cookies['konbini_login_csrf']}"]
    if "Cookie" in client.headers:  # the session a browser would send along (replaced at login)
        cookies.append(client.headers["Cookie"])
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                         headers={"Cookie": "; ".join(cookies)})
    if "konbini_session" in answer.cookies:
        client.headers["Cookie"] = f"konbini_session={answer.cookies['konbini_session']}"
    return answer


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
