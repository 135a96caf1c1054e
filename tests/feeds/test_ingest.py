"""The pull over a real local inbox and a real warehouse."""

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from tasks.feeds import ingest_feed_file
from tasks.ingest import SourceUnreachable, pull
from tests.feeds.conftest import AS_OF, SAMPLES, sample_files

EVENTS_SQL = """select chain, kind, reference, paid_date, paid_time, store_code, amount, stamp_flag,
                transfer_date, event_id, payment_id from payment_events order by event_id"""


def _counts(warehouse):
    with warehouse.read() as con:
        return dict(
            con.execute("select feed || ' ' || kind, count(*) from feed_records group by 1").fetchall()
        )


def test_sample_inbox_ingests_with_counts_per_feed_and_kind(warehouse, settings, sample_inbox, sample_master):
    from tasks.master import load_master

    load_master(warehouse, sample_master, AS_OF)
    outcomes = pull(warehouse, AS_OF, settings, retry_delays=())
    states = {o.name: o.state for o in outcomes}
    assert set(states.values()) == {"accepted"}, outcomes
    assert next(o for o in outcomes if o.kind == "ORDERS").counts["orders"] == 11
    assert len(states) == 7  # 6 feed files and the orders file
    assert _counts(warehouse) == {
        "SEJ 01": 4,
        "SEJ 02": 3,
        "FM 01": 2,
        "FM 03": 1,
        "FM 02": 1,
        "CVS 01": 5,
        "CVS 02": 4,
    }
    for folder in ("orders", "sej", "famima", "cvs"):
        assert [p.name for p in (sample_inbox / folder).iterdir()] == ["processed"]
    assert pull(warehouse, AS_OF, settings, retry_delays=()) == []


def test_redelivered_files_are_duplicates_and_change_nothing(warehouse, settings, sample_inbox):
    shutil.rmtree(sample_inbox / "orders")
    pull(warehouse, AS_OF, settings, retry_delays=())
    with warehouse.read() as con:
        before = con.execute(EVENTS_SQL).fetchall()
        files = con.execute("select count(*) from inbound_files").fetchone()
    for folder in ("sej", "famima", "cvs"):
        for p in (sample_inbox / folder / "processed").iterdir():
            shutil.copy(p, sample_inbox / folder / p.name)
    outcomes = pull(warehouse, AS_OF + timedelta(hours=1), settings, retry_delays=())
    assert [o.state for o in outcomes] == ["duplicate"] * 6
    with warehouse.read() as con:
        assert con.execute(EVENTS_SQL).fetchall() == before
        assert con.execute("select count(*) from inbound_files").fetchone() == files


def test_a_file_named_as_a_recorded_one_with_other_bytes_is_not_a_duplicate(warehouse, settings,
                                                                             sample_inbox):
    shutil.rmtree(sample_inbox / "orders")
    pull(warehouse, AS_OF, settings, retry_delays=())
    recorded = sorted((sample_inbox / "sej" / "processed").iterdir())[0]
    (sample_inbox / "sej" / recorded.name).write_bytes(recorded.read_bytes() + b"\r\n")
    copy = sorted((sample_inbox / "cvs" / "processed").iterdir())[0]
    shutil.copy(copy, sample_inbox / "cvs" / copy.name)
    later = pull(warehouse, AS_OF + timedelta(hours=1), settings, retry_delays=())
    assert {o.name: o.state for o in later} == {recorded.name: "quarantined", copy.name: "duplicate"}
    with warehouse.read() as con:
        same_name = con.execute("select count(*) from inbound_files where name = ?", [recorded.name])
        assert same_name.fetchone() == (2,)


def test_a_crash_between_commit_and_move_is_cleared_by_the_next_pull(warehouse, settings, sample_inbox):
    shutil.rmtree(sample_inbox / "orders")
    first = sample_files()[0]
    with warehouse.write() as con:  # what a pull does before it dies: the file committed, not moved
        assert ingest_feed_file(con, first, AS_OF, settings).state == "accepted"
    outcomes = pull(warehouse, AS_OF, settings, retry_delays=())
    assert {o.name: o.state for o in outcomes}[first.meta.name] == "duplicate"
    assert not (sample_inbox / first.meta.folder / first.meta.name).exists()
    with warehouse.read() as con:
        assert con.execute("select count(*) from inbound_files").fetchone() == (6,)


def test_files_in_any_order_give_the_same_events(warehouse, settings, data_dir, tmp_path):
    inbox = data_dir / "inbox"
    for i, f in enumerate(reversed(sample_files())):  # one file per pull, newest first
        (inbox / f.meta.folder).mkdir(parents=True, exist_ok=True)
        (inbox / f.meta.folder / f.meta.name).write_bytes(f.content)
        pull(warehouse, AS_OF + timedelta(minutes=i), settings, retry_delays=())
    with warehouse.read() as con:
        shuffled = con.execute(EVENTS_SQL).fetchall()
    from tasks.warehouse import Warehouse

    other = Warehouse(tmp_path / "ordered.duckdb")
    ordered_inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "inbox", ordered_inbox, ignore=shutil.ignore_patterns("orders"))
    pull(other, AS_OF, settings, str(ordered_inbox), retry_delays=())
    with other.read() as con:
        assert con.execute(EVENTS_SQL).fetchall() == shuffled
    assert len(shuffled) == 20


def test_bad_samples_are_quarantined_kept_and_merge_nothing(warehouse, settings, data_dir):
    inbox = data_dir / "inbox"
    shutil.copytree(SAMPLES / "bad", inbox, ignore=shutil.ignore_patterns("orders"))
    outcomes = pull(warehouse, AS_OF, settings, retry_delays=())
    assert [o.state for o in outcomes] == ["quarantined"] * 3
    with warehouse.read() as con:
        assert con.execute("select count(*) from feed_records").fetchone() == (0,)
        kept = con.execute("select name, content from inbound_files order by name").fetchall()
        reasons = con.execute("select count(*) from rejections").fetchone()[0]
    for name, content in kept:
        folder = {"C": "cvs", "F": "famima", "S": "sej"}[name[0]]
        assert content == (SAMPLES / "bad" / folder / name).read_bytes()
    assert reasons >= 3


def test_names_outside_the_spec_are_reported_and_left_unread(warehouse, settings, data_dir):
    sej = data_dir / "inbox" / "sej"
    sej.mkdir(parents=True)
    (sej / "SEJ_03_20261104210000_000001.dat").write_bytes(b"whatever")
    (sej / "notes.txt").write_bytes(b"x")
    outcomes = pull(warehouse, AS_OF, settings, retry_delays=())
    assert sorted((o.name, o.state) for o in outcomes) == [
        ("SEJ_03_20261104210000_000001.dat", "rejected_name"),
        ("notes.txt", "rejected_name"),
    ]
    assert sorted(p.name for p in sej.iterdir()) == ["SEJ_03_20261104210000_000001.dat", "notes.txt"]
    with warehouse.read() as con:
        assert con.execute("select count(*) from inbound_files").fetchone() == (0,)


def test_unreachable_inbox_alerts_after_two_hours_across_restarts(warehouse, settings, data_dir):
    from tasks.warehouse import Warehouse

    missing = str(data_dir / "nowhere")
    with pytest.raises(SourceUnreachable) as e:
        pull(warehouse, AS_OF, settings, missing, retry_delays=(0.01,))
    assert not e.value.alert and "nowhere" in str(e.value)
    restarted = Warehouse(settings.warehouse_path)  # a new process: the state is in the warehouse
    with pytest.raises(SourceUnreachable) as e:
        pull(restarted, AS_OF + timedelta(minutes=119), settings, missing, retry_delays=())
    assert not e.value.alert
    with pytest.raises(SourceUnreachable) as e:
        pull(restarted, AS_OF + timedelta(hours=2), settings, missing, retry_delays=())
    assert e.value.alert
    with restarted.read() as con:  # the analysts' view of it
        row = con.execute("select source, last_success_at, unreachable_since from source_status").fetchone()
    assert row == (missing, None, AS_OF.replace(tzinfo=None))
    (data_dir / "nowhere").mkdir()
    assert pull(restarted, AS_OF + timedelta(hours=3), settings, missing, retry_delays=()) == []
    with pytest.raises(SourceUnreachable) as e:  # reachable again, then down: the clock restarts
        shutil.rmtree(data_dir / "nowhere")
        pull(restarted, AS_OF + timedelta(hours=5), settings, missing, retry_delays=())
    assert not e.value.alert


def test_the_default_inbox_folder_is_created_on_first_pull(warehouse, settings, data_dir):
    assert not (data_dir / "inbox").exists()
    assert pull(warehouse, AS_OF, settings, retry_delays=()) == []
    assert (data_dir / "inbox").is_dir()


def _no_orders_inbox(data_dir):
    inbox = data_dir / "inbox"
    shutil.copytree(SAMPLES / "inbox", inbox, ignore=shutil.ignore_patterns("orders"))
    return inbox


def test_a_file_that_cannot_be_moved_aside_is_recorded_and_the_pull_goes_on(warehouse, settings, data_dir):
    inbox = _no_orders_inbox(data_dir)
    (inbox / "sej" / "processed").write_bytes(b"not a folder")  # every move in sej/ fails
    outcomes = pull(warehouse, AS_OF, settings, retry_delays=())
    by_name = {o.name: o for o in outcomes}
    assert sorted(o.state for o in outcomes) == ["accepted"] * 6 + ["rejected_name"]
    assert by_name["processed"].state == "rejected_name"
    sej = [o for o in outcomes if o.kind.startswith("SEJ")]
    assert len(sej) == 2 and all("left in the inbox" in o.not_moved for o in sej)
    assert all(o.not_moved is None for o in outcomes if o.kind in ("FM_S", "FM_K", "CVS"))
    assert sorted(p.name for p in (inbox / "cvs").iterdir()) == ["processed"]
    with warehouse.read() as con:
        assert con.execute("select count(*) from payment_events").fetchone() == (20,)
        assert con.execute("select unreachable_since from source_status").fetchall() == [(None,)]

    # still stuck an hour later: duplicates, not moved, no alert yet; from 2 hours on, an alert
    later = pull(warehouse, AS_OF + timedelta(hours=1), settings, retry_delays=())
    assert sorted((o.state, o.alert) for o in later if o.not_moved) == [("duplicate", False)] * 2
    late = pull(warehouse, AS_OF + timedelta(hours=2), settings, retry_delays=())
    assert sorted((o.state, o.alert) for o in late if o.not_moved) == [("duplicate", True)] * 2
    with warehouse.read() as con:
        stuck = con.execute("select folder, action, failing_since from inbox_stuck_entries").fetchall()
    assert stuck == [("sej", "move", AS_OF.replace(tzinfo=None))] * 2

    (inbox / "sej" / "processed").unlink()  # fixed: the next pull moves them and the alert clears
    fixed = pull(warehouse, AS_OF + timedelta(hours=3), settings, retry_delays=())
    assert [(o.state, o.not_moved, o.alert) for o in fixed] == [("duplicate", None, False)] * 2
    with warehouse.read() as con:
        assert con.execute("select count(*) from inbox_stuck_entries").fetchone() == (0,)


def test_a_file_removed_after_listing_is_reported_not_skipped(warehouse, settings, data_dir):
    from tasks.sources import Source

    inbox = _no_orders_inbox(data_dir)
    source = Source(str(inbox))
    listing = source.list()
    gone = listing.files[0]
    (inbox / gone.folder / gone.name).unlink()

    class Listed(Source):  # the same inbox, as it was listed an instant before the file went
        def list(self):
            return listing

    outcomes = pull(warehouse, AS_OF, settings, Listed(str(inbox)), retry_delays=())
    assert [(o.name, o.state) for o in outcomes if o.state != "accepted"] == [(gone.name, "vanished")]
    assert "disappeared" in str(outcomes[0].reasons[0]) and not outcomes[0].needs_attention
    assert len(outcomes) == 6
    with warehouse.read() as con:  # nothing to fix: not an entry failure
        assert con.execute("select count(*) from inbox_entry_failures").fetchone() == (0,)


def test_links_directories_fifos_and_wide_digits_are_rejected_unread(warehouse, settings, data_dir, tmp_path):
    import os

    inbox = data_dir / "inbox"
    sej = inbox / "sej"
    sej.mkdir(parents=True)
    good = SAMPLES / "inbox" / "sej"
    first, second = sorted(p.name for p in good.iterdir())
    shutil.copy(good / first, sej / first)  # a real file next to the strange ones
    (sej / second).symlink_to(sej / first)  # a link inside the inbox, with a spec name
    outside = tmp_path / "outside.dat"
    outside.write_bytes((good / second).read_bytes())
    (sej / "SEJ_01_20261104220000_000009.dat").symlink_to(outside)
    (sej / "SEJ_01_20261104230000_000010.dat").symlink_to(tmp_path / "nothing")  # dangling
    (sej / "SEJ_02_20261105060000_000009.dat").mkdir()
    os.mkfifo(sej / "SEJ_02_20261105070000_000010.dat")  # reading it would block the pull for ever
    (sej / "SEJ_01_２０261104210000_000011.dat").write_bytes((good / first).read_bytes())
    other = tmp_path / "elsewhere"
    shutil.copytree(SAMPLES / "inbox" / "famima", other)
    (inbox / "famima").symlink_to(other, target_is_directory=True)  # a linked folder is not followed
    (inbox / "notes.txt").write_text("x")

    outcomes = pull(warehouse, AS_OF, settings, retry_delays=())
    got = sorted((o.kind, o.name, o.state) for o in outcomes)
    assert got == sorted([
        ("SEJ_01", first, "accepted"),
        ("sej", second, "rejected_entry"),
        ("sej", "SEJ_01_20261104220000_000009.dat", "rejected_entry"),
        ("sej", "SEJ_01_20261104230000_000010.dat", "rejected_entry"),
        ("sej", "SEJ_02_20261105060000_000009.dat", "rejected_entry"),
        ("sej", "SEJ_02_20261105070000_000010.dat", "rejected_entry"),
        ("sej", "SEJ_01_２０261104210000_000011.dat", "rejected_name"),
        ("", "famima", "rejected_entry"),
        ("", "notes.txt", "rejected_name"),
    ]), got
    reasons = {o.name: str(o.reasons[0]) for o in outcomes if o.state != "accepted"}
    assert "symbolic link" in reasons[second] and "symbolic link" in reasons["famima"]
    assert "directory" in reasons["SEJ_02_20261105060000_000009.dat"]
    assert "FIFO" in reasons["SEJ_02_20261105070000_000010.dat"]
    with warehouse.read() as con:
        assert con.execute("select name from inbound_files").fetchall() == [(first,)]
    assert outside.exists() and sorted(p.name for p in other.iterdir()) == sorted(
        p.name for p in (SAMPLES / "inbox" / "famima").iterdir())


SETPRIV = shutil.which("setpriv")


@pytest.mark.skipif(SETPRIV is None, reason="setpriv (util-linux) runs the pull as a service user")
def test_an_unreadable_file_for_the_service_user_is_recorded_and_the_rest_ingested(tmp_path):
    """`konbini ingest` run as `nobody` (root reads every file) over an inbox with a chmod 000 file."""
    import os
    import subprocess
    import sys
    import tempfile

    from tasks.warehouse import Warehouse

    repo = Path(__file__).resolve().parents[2]
    base = Path(tempfile.mkdtemp(prefix="konbini-service-user-"))
    try:
        data = base / "data"
        shutil.copytree(SAMPLES / "inbox", data / "inbox", ignore=shutil.ignore_patterns("orders"))
        for d in [base, data, *(p for p in data.rglob("*") if p.is_dir())]:
            d.chmod(0o777)
        locked = sorted((data / "inbox" / "cvs").iterdir())[0]
        locked.chmod(0o000)
        env = {"PATH": os.environ["PATH"], "HOME": str(base), "PYTHONPATH": str(repo),
               "KONBINI_DATA_DIR": str(data), "PREFECT_HOME": str(base / "prefect")}
        run = subprocess.run(
            [SETPRIV, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             str(Path(sys.executable).parent / "konbini"), "ingest", "--as-of", "2026-11-20T00:00:00+09:00"],
            env=env, cwd=base, capture_output=True, text=True, timeout=300,
        )
        assert run.returncode == 1, run.stderr  # a file needs attention; no traceback
        assert "Traceback" not in run.stderr and "unreadable" in run.stdout, run.stdout
        with Warehouse(data / "warehouse.duckdb").read() as con:
            accepted = con.execute("select count(*) from inbound_files where state = 'accepted'").fetchone()
            failed = con.execute("select folder, name, action, error from inbox_entry_failures").fetchall()
        assert accepted == (5,)
        assert [(f, n, a) for f, n, a, _ in failed] == [("cvs", locked.name, "read")]
        assert "PermissionError" in failed[0][3]
        assert locked.exists()
    finally:
        shutil.rmtree(base)


def test_a_read_failure_of_the_next_file_waits_for_its_turn(warehouse, settings, data_dir):
    """The pull reads and parses the next file while it merges one (tasks.ingest._fetch): a failure to
    read that next file still comes at its own turn, after the file before it is committed and moved."""
    from tasks.sources import Source, SourceError

    inbox = _no_orders_inbox(data_dir)
    listing = Source(str(inbox)).list()
    first, second = listing.files[0], listing.files[1]

    class Lost(Source):  # the connection drops when the second file is read
        def fetch(self, meta):
            if meta == second:
                raise SourceError("connection lost")
            return super().fetch(meta)

    with pytest.raises(SourceUnreachable) as caught:
        pull(warehouse, AS_OF, settings, Lost(str(inbox)), retry_delays=())
    assert [(o.name, o.state) for o in caught.value.outcomes] == [(first.name, "accepted")]
    assert (inbox / first.folder / "processed" / first.name).exists()
    assert (inbox / second.folder / second.name).exists()
    with warehouse.read() as con:
        assert con.execute("select name from inbound_files").fetchall() == [(first.name,)]
