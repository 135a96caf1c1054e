"""The treasury sample (samples/README.md, Treasury) gives exactly its chain balances and exceptions;
the bad file is rejected whole with its reason; a resend changes nothing."""

from __future__ import annotations

import pytest

from tasks.master import load_master
from tasks.reconcile.run import reconcile

from .bank_support import SAMPLES, TREASURY, balances, deliver_and_pull, jst, treasury_exceptions

FIRST = TREASURY / "bank" / "BANK_IN_20261113180000_000001.dat"
SECOND = TREASURY / "bank" / "BANK_IN_20261116180000_000002.dat"
BAD = TREASURY / "bad" / "BANK_IN_20261117180000_000003.dat"
EXPECTED_BALANCES = {
    ("SEJ", "11-13"): 0, ("SEJ", "11-16"): 0,
    ("FM", "11-13"): 1, ("FM", "11-16"): 1,
    ("CVS", "11-13"): 157_000, ("CVS", "11-16"): 0,
}
EXPECTED_EXCEPTIONS = {
    ("REMITTANCE_SHORT", "FM", "11-13", 1, "open"),
    ("REMITTANCE_SHORT", "CVS", "11-13", 157_000, "cleared"),
    ("UNKNOWN_REMITTER", "ﾃｽﾄｼﾖｳｼﾞ(ｶ 照会番号 000003", "11-13", 10_000, "open"),
}


@pytest.fixture
def sample_world(warehouse, settings):
    """Master data and the sample inbox, pulled; then each bank file the morning after its day."""
    load_master(warehouse, SAMPLES / "master", jst(2026, 11, 1))
    chains = sorted(p for p in (SAMPLES / "inbox").glob("*/*"))
    outcomes = deliver_and_pull(warehouse, settings, chains, jst(2026, 11, 10, 7))
    assert {o.state for o in outcomes} == {"accepted"}
    with warehouse.write() as con:
        reconcile(con, jst(2026, 11, 10, 7))
    for path, at in ((FIRST, jst(2026, 11, 14, 7)), (SECOND, jst(2026, 11, 17, 7))):
        outcomes = deliver_and_pull(warehouse, settings, [path], at)
        assert [o.state for o in outcomes] == ["accepted"], outcomes
        with warehouse.write() as con:
            reconcile(con, at)
    return warehouse


def test_sample_chain_balances_and_exceptions(sample_world):
    with sample_world.write() as con:
        reconcile(con, jst(2026, 11, 20))
        assert balances(con) == EXPECTED_BALANCES
        assert treasury_exceptions(con) == EXPECTED_EXCEPTIONS
        sql = "select source, sum(expected) from v_chain_balances group by all"
        expected = dict(con.execute(sql).fetchall())
        assert expected == {"SEJ": 59_980, "FM": 300_000, "CVS": 157_000}
        matched = con.execute("select matched_to, source, amount from v_bank_transfers order by booking_date,"
                              " inquiry_no").fetchall()
        assert matched == [("source", "SEJ", 59_980), ("source", "FM", 299_999), ("unknown", None, 10_000),
                           ("source", "CVS", 157_000)]


def test_sample_exceptions_as_known_between_the_files(sample_world):
    """As of the evening between the two files, CVS is short and its exception open (what we knew then)."""
    with sample_world.write() as con:
        reconcile(con, jst(2026, 11, 20))
    with sample_world.write() as con:
        rows = con.execute("select code, source, state, raised_at, cleared_at from exceptions"
                           " where code = 'REMITTANCE_SHORT' order by source").fetchall()
    assert [(c, s, st) for c, s, st, _, _ in rows] == [("REMITTANCE_SHORT", "CVS", "cleared"),
                                                        ("REMITTANCE_SHORT", "FM", "open")]
    naive = [jst(2026, 11, d, 7).replace(tzinfo=None) for d in (14, 17)]
    assert list(rows[0][3:]) == naive  # raised and cleared by the two files' ingestions


def test_bad_file_rejected_whole_with_its_reason(sample_world, settings):
    outcomes = deliver_and_pull(sample_world, settings, [BAD], jst(2026, 11, 18, 7))
    assert [o.state for o in outcomes] == ["quarantined"]
    reasons = [str(r) for r in outcomes[0].reasons]
    assert reasons == ["line 3, total = '000000005001': trailer total is 5001 but the records give 5000"]
    with sample_world.write() as con:
        assert con.execute("select count(*) from bank_records r join inbound_files f using (file_id)"
                           " where f.name = ?", [BAD.name]).fetchone() == (0,)
        reconcile(con, jst(2026, 11, 20))
        assert balances(con) == EXPECTED_BALANCES


def test_resend_changes_nothing(sample_world, settings, tmp_path):
    """The same records again in a later file (another name and number): one transfer each."""
    with sample_world.write() as con:
        reconcile(con, jst(2026, 11, 20))
        before = (balances(con), treasury_exceptions(con))
    resend = tmp_path / "bank" / "BANK_IN_20261113180000_000003.dat"
    resend.parent.mkdir()
    resend.write_bytes(FIRST.read_bytes())
    outcomes = deliver_and_pull(sample_world, settings, [resend], jst(2026, 11, 20, 7))
    assert [o.state for o in outcomes] == ["accepted"]
    with sample_world.write() as con:
        reconcile(con, jst(2026, 11, 20, 8))
        assert (balances(con), treasury_exceptions(con)) == before
        sql = "select count(*), count(distinct transfer_id) from bank_records"
        assert con.execute(sql).fetchone() == (7, 4)


def test_operations_summary_shows_chain_balances(sample_world, settings, tmp_path):
    from datetime import date

    from tasks.render import operations
    from tasks.render.jobs import render_job
    from tasks.render.pdf import pdf_text

    with sample_world.write() as con:
        reconcile(con, jst(2026, 11, 20))
    with sample_world.read() as con:
        job = operations.gather(con, date(2026, 11, 19), settings, jst(2026, 11, 20))
    assert job.context["chain_balances"] == [
        {"source": "SEJ", "day": "2026-11-16", "expected": 59_980, "received": 59_980, "balance": 0},
        {"source": "FM", "day": "2026-11-16", "expected": 300_000, "received": 299_999, "balance": 1},
        {"source": "CVS", "day": "2026-11-16", "expected": 157_000, "received": 157_000, "balance": 0}]
    assert "| FM | 2026-11-16 | 300,000 | 299,999 | 1 |" in job.markdown
    text = " ".join(pdf_text(render_job(job, tmp_path).pdf_path).split())
    assert "収納機関別の入金残高" in text and "299,999" in text


def test_incremental_runs_give_the_full_runs_answer(warehouse, settings):
    """The scheduled (incremental) run reads the previous run's payments for keys it does not
    recompute: the same balances and exceptions as a full run."""
    load_master(warehouse, SAMPLES / "master", jst(2026, 11, 1))
    deliver_and_pull(warehouse, settings, sorted((SAMPLES / "inbox").glob("*/*")), jst(2026, 11, 10, 7))
    with warehouse.write() as con:
        reconcile(con, jst(2026, 11, 10, 7))  # the first run is full
    for path, at in ((FIRST, jst(2026, 11, 14, 7)), (SECOND, jst(2026, 11, 17, 7))):
        deliver_and_pull(warehouse, settings, [path], at)
        with warehouse.write() as con:
            assert reconcile(con, at, incremental=True).scope == "incremental"
    with warehouse.write() as con:
        assert reconcile(con, jst(2026, 11, 20), incremental=True).scope == "incremental"
        assert balances(con) == EXPECTED_BALANCES
        assert treasury_exceptions(con) == EXPECTED_EXCEPTIONS


def test_unknown_remitters_name_stays_out_of_the_analysts_copy(sample_world):
    """A remitter no rule recognised may be a person: the analysts' copy keeps the chains' names, the
    amount and 照会番号, but not that name (nor its EDI), in the records or in the exception."""
    import duckdb

    with sample_world.write() as con:
        reconcile(con, jst(2026, 11, 20))
    copy = duckdb.connect(str(sample_world.publish()), read_only=True)
    try:
        names = copy.execute("select matched_to, remitter_name, amount from v_bank_transfers"
                             " order by booking_date, inquiry_no").fetchall()
        detail = copy.execute("select detail from exceptions where code = 'UNKNOWN_REMITTER'").fetchall()
    finally:
        copy.close()
    assert [(m, a) for m, _, a in names] == [("source", 59_980), ("source", 299_999), ("unknown", 10_000),
                                             ("source", 157_000)]
    assert names[2][1] == "" and all(n for m, n, _ in names if m == "source")
    assert detail == [("照会番号 000003",)]
