"""The order API served by uvicorn on 127.0.0.1 over a warehouse holding the sample master data,
published as the analysts' copy (what the API reads), and a key per merchant."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from tasks.clock import JST

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "samples"
AS_OF = datetime(2026, 11, 2, 9, 0, tzinfo=JST)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn in a thread of the test process, on a free port of 127.0.0.1."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


def master_with_inactive(folder: Path) -> Path:
    """The sample master plus a suspended merchant M000004 (site S000004) and a closed site S000005
    of M000001, for the rules about active merchants and sites."""
    import shutil

    shutil.copytree(SAMPLES / "master", folder)
    merchants = (folder / "merchants.csv").read_text(encoding="utf-8").splitlines()
    m3 = next(line for line in merchants if line.startswith("M000003,"))
    merchants.append(m3.replace("M000003,", "M000004,").replace(",active,", ",suspended,"))
    (folder / "merchants.csv").write_text("\n".join(merchants) + "\n", encoding="utf-8")
    with open(folder / "sites.csv", "a", encoding="utf-8") as f:
        f.write("S000004,M000004,https://four.example.jp,seven|lawson,active\n")
        f.write("S000005,M000001,https://old.example.jp,seven|lawson,closed\n")
    return folder


@pytest.fixture
def ledger_ready(warehouse, settings, tmp_path):
    """The master loaded and published (the API reads the published copy only)."""
    from tasks.master import load_master

    with warehouse.session() as con:
        load_master(con, master_with_inactive(tmp_path / "master"), AS_OF)
    warehouse.publish()
    return warehouse


@pytest.fixture
def server(settings, ledger_ready):
    from web.app import create_app

    with Server(create_app(settings)) as s:
        yield s


@pytest.fixture
def keys(settings, ledger_ready) -> dict[str, str]:
    from tasks.api_orders.keys import create
    from tasks.api_orders.store import open_store

    merchants = ("M000001", "M000002", "M000003", "M000004")
    return {m: create(open_store(settings), m, AS_OF)[1] for m in merchants}


@pytest.fixture
def client(server, keys):
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {keys['M000001']}"},
                      timeout=30) as c:
        yield c


def order(order_id: str = "API-1", **over) -> dict:
    body = {
        "site_id": "S000001", "order_id": order_id, "chain": "lawson", "amount": 3980,
        "tax_mode": "taxable", "tax_amount": 361, "ordered_at": "2026-11-02T10:00:00+09:00",
        "due_date": "2026-11-09", "customer_name_kana": "ヤマダ　タロウ", "customer_phone": "0312345678",
        "customer_email": "taro@example.jp",
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not ...}
