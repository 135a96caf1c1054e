"""pull_feeds as a real Prefect flow run: the pull, the analysts' copy and the table artifact."""

import json
import shutil

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
    rows = pull_feeds(as_of=AS_OF)
    table = {(r["what"], r["item"]): r["count"] for r in rows}
    assert table == {
        ("files", "accepted"): 7,
        ("files", "quarantined"): 3,
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
    assert {"what": "files", "item": "quarantined", "count": 3} in data
    ro = duckdb.connect(str(settings.analytics_path), read_only=True)
    try:
        assert ro.execute("select count(*) from payment_events").fetchone() == (20,)
        assert ro.execute("select count(*) from inbound_files where state = 'quarantined'").fetchone() == (3,)
    finally:
        ro.close()
    # an unreachable inbox only warns before 2 hours: the run completes with nothing pulled
    assert pull_feeds(as_of=AS_OF, inbox=str(settings.data_dir / "nowhere"), retry_delays=[]) == []
