from datetime import date, datetime

from tasks.clock import JST
from tasks.render import operations, run
from tasks.render.jobs import render_job
from tasks.render.pdf import font_problems, pdf_text


def test_operations_summary(ops_world, settings, tmp_path):
    at = datetime(2026, 11, 20, tzinfo=JST)
    with ops_world.read() as con:
        job = operations.gather(con, date(2026, 11, 19), settings, at)
    c = job.context
    assert {s["status"]: s["count"] for s in c["statuses"]} == {
        "awaiting_payment": 0, "paid": 0, "confirmed": 1, "settled": 1, "cancelled": 0, "expired": 2}
    by_code = {e["code"]: e for e in c["exceptions"]}
    # open ones only (EX3 is resolved); age in calendar days since raised
    assert set(by_code) == {"DUPLICATE_PAYMENT", "PRELIM_NOT_CONFIRMED", "FILE_SEQUENCE_GAP"}
    assert by_code["DUPLICATE_PAYMENT"]["buckets"] == [0, 0, 0, 1]
    assert by_code["DUPLICATE_PAYMENT"]["oldest"] == 16
    assert by_code["PRELIM_NOT_CONFIRMED"]["buckets"] == [1, 0, 0, 0]
    assert c["gaps"] == [
        {"kind": "SEJ_01", "sequence_no": 3, "raised_at": datetime(2026, 11, 18, 10), "age": 2}]
    assert [q["name"] for q in c["quarantined"]] == ["SEJ_01_20261110090000_000002.dat"]
    assert c["notify"] == [{"merchant_id": "M000001", "state": "dead", "count": 1, "last_error": "HTTP 500"}]
    md = job.markdown
    assert "| DUPLICATE_PAYMENT | 1 | 0 | 0 | 0 | 1 | 16 | 2,000 |" in md
    assert "SEJ_01 000003 missing for 2 days" in md
    r = render_job(job, tmp_path)
    assert r.pdf_path == tmp_path / "_operations" / "operations_2026-11-19.pdf"
    text = " ".join(pdf_text(r.pdf_path).split())
    for expected in ("運用サマリー", "DUPLICATE_PAYMENT", "SEJ_01_20261110090000_000002.dat", "000003",
                     "HTTP 500"):
        assert expected in text, expected
    assert font_problems(r.pdf_path) == []
    # the summary names no customer
    assert "0312345678" not in text and "taro@example.jp" not in text


def test_plan_renders_each_due_report_once(ops_world, settings):
    as_of = datetime(2026, 12, 1, 7, 0, tzinfo=JST)
    with ops_world.read() as con:
        ids = [j.report_id for j in run.plan(con, datetime(2026, 11, 10, 7, tzinfo=JST), settings)]
    # 11-10: the events received on 11-04 and 11-09, last month's schedules were made on 11-01
    assert ids == [
        "collection/M000001/2026-11-04", "collection/M000002/2026-11-04", "collection/M000001/2026-11-09",
        "statement/M000003/M000003-20261101",
        "schedule/M000001/2026-12", "schedule/M000002/2026-12", "schedule/M000003/2026-12",
        "operations/_operations/2026-11-09",
    ]
    with ops_world.read() as con:
        ids = [j.report_id for j in run.plan(con, as_of, settings)]
    assert ids == ["statement/M000003/M000003-20261101", "schedule/M000001/2027-01",
                   "schedule/M000002/2027-01", "schedule/M000003/2027-01",
                   "operations/_operations/2026-11-30"]


def test_render_reports_flow_renders_mails_publishes_and_reruns_identically(
    prefect_harness, ops_world, smtp_server, data_dir, monkeypatch
):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.reports import render_reports

    as_of = datetime(2026, 11, 10, 7, 0, tzinfo=JST)
    summary = render_reports(as_of=as_of, workers=2)
    assert summary["rendered"] == 8
    assert summary["accepted"] == 7 and summary["failed"] == 0  # every merchant report, not the summary
    assert sorted(e.rcpt_tos[0] for e in smtp_server.messages) == (
        ["books@test-pub.example"] * 2 + ["office@mihon.example"] * 2 + ["ops@sample-shop.example"] * 3)
    root = data_dir / "out" / "reports"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert "M000003/statement_M000003-20261101.pdf" in files
    assert "_operations/operations_2026-11-09.csv" in files
    assert len(files) == 16
    before = {f: (root / f).read_bytes() for f in files}
    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["operations-summary-2026-11-09"])))
    assert arts and "Operations summary 2026-11-09" in arts[0].data

    # a second run the same morning: nothing new to render or send
    again = render_reports(as_of=datetime(2026, 11, 10, 9, 30, tzinfo=JST), workers=2)
    assert again["rendered"] == 0 and again["accepted"] == 0
    assert len(smtp_server.messages) == 7

    # rendered afresh from the same facts at another time: byte-identical files
    with ops_world.write() as con:
        con.execute("delete from report_outputs")
        con.execute("delete from report_deliveries")
    for f in files:
        (root / f).unlink()
    monkeypatch.delenv("KONBINI_SMTP__HOST")  # without SMTP (the demo) reports are only written
    third = render_reports(as_of=datetime(2026, 11, 10, 11, 0, tzinfo=JST), workers=1)
    assert third["rendered"] == 8
    assert third["accepted"] == 0 and len(smtp_server.messages) == 7
    assert {f: (root / f).read_bytes() for f in files} == before


def test_plan_of_schedules_only(ops_world, settings):
    with ops_world.read() as con:
        ids = [j.report_id for j in run.plan(con, datetime(2026, 12, 1, 8, tzinfo=JST), settings,
                                             kinds=("schedule",))]
    assert ids == ["schedule/M000001/2027-01", "schedule/M000002/2027-01", "schedule/M000003/2027-01"]


def test_one_report_failing_does_not_stop_the_others(small_world, settings, as_of):
    import dataclasses

    import pytest

    from tasks.errors import KonbiniError
    from tasks.render import collection

    with small_world.read() as con:
        good = collection.gather(con, "M000001", date(2026, 11, 4), settings, as_of)
        other = collection.gather(con, "M000002", date(2026, 11, 4), settings, as_of)
    # a cell cp932 cannot hold (a merchant asked for cp932)
    bad = dataclasses.replace(other, csv_rows=(("𠮷野家",) + other.csv_rows[0][1:],))
    with pytest.raises(KonbiniError, match=r"1 of 2 reports failed.*collection/M000002/2026-11-04.*cp932"):
        run.render_due(small_world, settings, as_of, workers=1, csv_encoding="cp932", jobs=[good, bad])
    with small_world.read() as con:
        assert con.execute("select report_id from report_outputs").fetchall() == [(good.report_id,)]
