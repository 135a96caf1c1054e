"""pull_feeds as a real Prefect flow run: the pull, the analysts' copy and the table artifact."""

import json
import shutil
from datetime import timedelta

import duckdb

from tests.feeds.conftest import AS_OF, SAMPLES


def test_pull_feeds_flow_ingests_publishes_and_reports(
    prefect_harness, settings, sample_inbox, sample_master
):
    from prefect.artifacts import Artifact

    from flows.ingest import pull_feeds
    from tasks.master import load_master
    from tasks.warehouse import Warehouse

    load_master(Warehouse(settings.warehouse_path), sample_master, AS_OF)
    for folder in ("sej", "famima", "cvs"):
        for p in (SAMPLES / "bad" / folder).iterdir():
            shutil.copy(p, sample_inbox / folder / p.name)
    (inbox_root := sample_inbox).joinpath("cvs", "CVS_20261110_bad.csv").write_bytes(b"x")
    state = pull_feeds(as_of=AS_OF, return_state=True)
    assert state.is_completed() and state.name == "Completed with quarantines", state
    assert "4 file(s) need attention (3 quarantined)" in state.message
    rows = state.result()
    table = {(r["what"], r["item"]): r["count"] for r in rows}
    assert table == {
        ("files", "accepted"): 7,
        ("files", "quarantined"): 3,
        ("files", "rejected_name"): 1,
        ("orders", "registered"): 11,
        ("events", "SEJ 01"): 4,
        ("events", "SEJ 02"): 3,
        ("events", "FM 01"): 2,
        ("events", "FM 02"): 1,
        ("events", "FM 03"): 1,
        ("events", "CVS 01"): 5,
        ("events", "CVS 02"): 4,
    }
    artifact = Artifact.get("pull-feeds")
    assert artifact is not None and artifact.type == "table"
    data = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    assert {"what": "files", "item": "quarantined", "count": 3, "reasons": ""} in data
    named = {r["item"]: r for r in data if r["reasons"]}  # every file needing attention, with its reasons
    bad = sorted(f"{folder}/{p.name}" for folder in ("sej", "famima", "cvs")
                 for p in (SAMPLES / "bad" / folder).iterdir())
    assert sorted(named) == sorted([*bad, "cvs/CVS_20261110_bad.csv"])
    assert all(named[name]["what"] == "quarantined" and named[name]["count"] >= 1 for name in bad)
    assert "does not match the spec" in named["cvs/CVS_20261110_bad.csv"]["reasons"]
    (inbox_root / "cvs" / "CVS_20261110_bad.csv").unlink()
    ro = duckdb.connect(str(settings.analytics_path), read_only=True)
    try:
        assert ro.execute("select count(*) from payment_events").fetchone() == (20,)
        assert ro.execute("select count(*) from inbound_files where state = 'quarantined'").fetchone() == (3,)
    finally:
        ro.close()
    # an unreachable inbox only warns before 2 hours: the run completes with nothing pulled
    nowhere = str(settings.data_dir / "nowhere")
    state = pull_feeds(as_of=AS_OF, inbox=nowhere, retry_delays=[], return_state=True)
    assert state.name == "Completed" and state.result() == []


def test_an_entry_stuck_for_two_hours_fails_the_run(prefect_harness, settings, data_dir):
    from flows.ingest import pull_feeds

    inbox = data_dir / "inbox"
    shutil.copytree(SAMPLES / "inbox" / "cvs", inbox / "cvs")
    (inbox / "cvs" / "processed").write_bytes(b"")  # files are taken in but cannot be moved aside
    first = pull_feeds(as_of=AS_OF, retry_delays=[], return_state=True)
    assert first.name == "Completed with rejections", first
    once = pull_feeds.with_options(retries=0)  # the deployed flow tries twice more, a minute apart
    later = once(as_of=AS_OF + timedelta(hours=2), retry_delays=[], return_state=True)
    assert later.is_failed() and "2 hours or more" in later.message, later
