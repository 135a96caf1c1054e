"""The pull over a real local inbox and a real warehouse."""

import shutil
from datetime import timedelta

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
