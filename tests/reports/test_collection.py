import subprocess
import sys
from datetime import date

import pytest
from weasyprint import HTML

from tasks.render import collection
from tasks.render.jobs import render_job, render_many
from tasks.render.pdf import (
    LocalOnlyFetcher,
    RefusedFetch,
    font_problems,
    page_png,
    pdf_text,
    render_pdf,
)

DAY = date(2026, 11, 4)


def _job(small_world, settings, as_of, merchant="M000001", day=DAY):
    with small_world.read() as con:
        return collection.gather(con, merchant, day, settings, as_of)


def test_collection_report_figures_font_and_page_image(small_world, settings, as_of, tmp_path):
    job = _job(small_world, settings, as_of)
    r = render_job(job, tmp_path)
    text = pdf_text(r.pdf_path)
    for expected in ("収納結果", "株式会社サンプル商店", "A-1001", "A-1004", "3,980", "54,000", "12,800",
                     "速報取消", "2026年11月4日(水)", "セブン-イレブン", "ファミリーマート"):
        assert expected in text, expected
    # the 02 of 11-09 was received on another day: not in this day's report
    assert "2026-11-13" not in text
    assert font_problems(r.pdf_path) == []
    png = page_png(r.pdf_path, tmp_path / "page1")
    assert png.stat().st_size > 5_000
    # counts and totals per chain and kind, in the CSV too
    rows = r.csv_path.read_bytes().decode("utf-8-sig").splitlines()
    assert rows[0].startswith("加盟店番号,受信日,種別コード,種別,チェーンコード,チェーン,注文番号,受付番号")
    assert len(rows) == 1 + 5
    # codes stay text in Excel (="01"); amounts stay numbers
    assert rows[1].startswith('M000001,2026-11-04,"=""01""",速報,seven,セブン-イレブン,A-1001,'
                              '"=""1000000000001""",2026-11-03,10:15:00,"=""0012345""",3980,0,')
    summary = {row["chain"]: row for row in job.context["summary"]}
    assert summary["seven"]["01"] == {"count": 2, "total": 57980}
    assert summary["famima"]["03"] == {"count": 1, "total": 12800}
    assert job.context["totals"]["01"] == {"count": 4, "total": 124780}


def test_dejavu_only_pdf_fails_the_font_check(tmp_path):
    """Kana set in a font without them render as boxes; pdftotext still prints them, so the
    checker must look at the fonts and reject this PDF. fontconfig is limited to DejaVu in a
    child process, so nothing can fall back to a Japanese font."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        "<dir>/usr/share/fonts/truetype/dejavu</dir>"
        f"<cachedir>{tmp_path}/fc-cache</cachedir></fontconfig>"
    )
    path = tmp_path / "dejavu.pdf"
    script = "import sys; from weasyprint import HTML; HTML(string=sys.argv[2]).write_pdf(sys.argv[1])"
    html = ('<html lang="ja"><body style="font-family: DejaVu Sans">'
            "<p>収納結果 セブン-イレブン 3,980</p></body></html>")
    env = {"FONTCONFIG_FILE": str(conf), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script, str(path), html], check=True, env=env, capture_output=True)
    assert "3,980" in pdf_text(path)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "DejaVu" in fonts and "IPAex" not in fonts
    problems = font_problems(path)
    assert any("no embedded IPAexGothic" in p for p in problems)
    assert any("DejaVu" in p for p in problems)
    # the page really shows boxes: a person can compare it with a real report
    assert page_png(path, tmp_path / "dejavu").exists()


def test_rendering_refuses_the_network_and_files_elsewhere():
    fetcher = LocalOnlyFetcher()
    for url in ("http://127.0.0.1:9/x.css", "https://example.com/font.ttf", "file:///etc/passwd",
                "file:///usr/share/fonts/opentype/ipaexfont-gothic/../../../../etc/passwd"):
        with pytest.raises(RefusedFetch):
            fetcher.fetch(url)
    # a document that asks for a remote image stops the rendering
    with pytest.raises(RefusedFetch):
        HTML(string='<img src="http://127.0.0.1:9/logo.png">', url_fetcher=LocalOnlyFetcher()).write_pdf()
    # and the real templates render with it (font and CSS are under the allowed folders)
    assert render_pdf("base.html.j2", {"title": "t", "company_name": "c"}, as_of=_as_of(),
                      report_id="x").startswith(b"%PDF")


def _as_of():
    from datetime import datetime

    from tasks.clock import JST

    return datetime(2026, 11, 20, tzinfo=JST)


def test_one_merchant_report_holds_no_other_merchant_order_and_no_personal_data(
    small_world, settings, as_of, tmp_path
):
    with small_world.read() as con:
        merchants = collection.merchants_with_events(con, DAY)
        jobs = [collection.gather(con, m, DAY, settings, as_of) for m in merchants]
        others = dict(con.execute(
            "select merchant_id, list(order_id) from orders group by merchant_id").fetchall())
        personal = [v for row in con.execute(
            "select customer_name_kana, customer_phone, customer_email from order_customers").fetchall()
            for v in row if v]
    assert merchants == ["M000001", "M000002"]  # the unknown reference belongs to nobody
    for r in render_many(jobs, tmp_path, workers=1):
        texts = pdf_text(r.pdf_path) + r.csv_path.read_bytes().decode("utf-8-sig")
        for merchant, order_ids in others.items():
            for oid in order_ids:
                if merchant != r.merchant_id:
                    assert oid not in texts, (r.report_id, oid)
        assert "29999999999" not in texts
        for value in personal:
            assert value not in texts


def test_rerun_in_another_process_gives_byte_identical_files(small_world, settings, as_of, tmp_path):
    job = _job(small_world, settings, as_of)
    first = render_many([job, _job(small_world, settings, as_of, "M000002")], tmp_path / "a", workers=2)
    second = render_job(job, tmp_path / "b")
    assert first[0].pdf_sha256 == second.pdf_sha256
    assert first[0].csv_sha256 == second.csv_sha256
    parallel_pdf = tmp_path / "a" / "M000001" / "collection_2026-11-04.pdf"
    assert parallel_pdf.read_bytes() == second.pdf_path.read_bytes()
    # and the PDF's dates are the report's as-of, not the wall clock
    info = subprocess.run(["pdfinfo", str(second.pdf_path)], capture_output=True, text=True).stdout
    assert "2026" in [line for line in info.splitlines() if line.startswith("CreationDate")][0]


def test_rendering_leaves_the_environment_as_it_was(monkeypatch):
    import os

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    render_pdf("base.html.j2", {"title": "t", "company_name": "c"}, as_of=_as_of(), report_id="x")
    assert "SOURCE_DATE_EPOCH" not in os.environ
