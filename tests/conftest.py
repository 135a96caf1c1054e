"""Shared fixtures: a fresh data directory per test, the spec's samples, a Prefect test harness."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "spec" / "samples"
VECTORS = SHARED / "vectors"


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole session (each one costs 10-20 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """KONBINI_DATA_DIR pointed at an empty folder; settings read it afresh."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("KONBINI_DATA_DIR", str(d))
    for var in ("KONBINI_INBOX", "KONBINI_WAREHOUSE", "KONBINI_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    return d


@pytest.fixture
def settings(data_dir):
    from tasks.settings import get_settings

    return get_settings()


@pytest.fixture
def warehouse(settings):
    from tasks.warehouse import Warehouse

    return Warehouse(settings.warehouse_path)


@pytest.fixture
def sample_inbox(data_dir) -> Path:
    """The spec's sample inbox copied into the data dir (the default inbox location)."""
    inbox = data_dir / "inbox"
    shutil.copytree(SAMPLES / "inbox", inbox)
    return inbox


@pytest.fixture
def sample_master() -> Path:
    return SAMPLES / "master"
