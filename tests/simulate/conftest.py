"""Simulated inboxes for the simulator's tests: small, with every anomaly at a rate that shows."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from tasks.simulate.anomalies import ANOMALIES

START = date(2026, 11, 2)
# Every anomaly often enough to appear in a few hundred orders (their sum stays under the cap).
LOUD = {a.name: {"order": 0.03, "remittance": 0.3, "bank file": 0.5}.get(a.per, 0.05) for a in ANOMALIES}


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `root`."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture
def simulate_into(tmp_path, settings):
    """simulate(...) into a fresh folder under tmp_path; returns the summary."""
    from tasks.simulate import simulate

    counter = iter(range(1000))

    def run(days=2, orders_per_day=60, seed=7, merchants=3, anomalies=None, out=None):
        target = out or tmp_path / f"sim{next(counter)}"
        return simulate(target, START, days, orders_per_day, seed, merchants,
                        anomalies=LOUD if anomalies is None else anomalies, settings=settings)

    return run
