"""The merchant pages and the console on the sample world, over a real server."""

from __future__ import annotations

import csv
import io
import subprocess

from .conftest import login


def test_every_merchant_page_answers_for_its_user(shared_web):
    with shared_web.client() as c:
        login(c, "shop1")
        for path, text in (("/", "確報待ち"), ("/orders", "A-1001"), ("/orders/A-1005", "収納の経過"),
                           ("/downloads", "収納結果ダウンロード"), ("/statements", "M000001"),
                           ("/trend", "日次推移"), ("/notifications", "テスト通知")):
            answer = c.get(f"/merchants/M000001{path}")
            assert answer.status_code == 200, (path, answer.text[:300])
            assert text in answer.text, path


def test_search_by_order_id_status_and_dates(shared_web):
    with shared_web.client() as c:
        login(c, "shop1")
        one = c.get("/merchants/M000001/orders", params={"order_id": "A-1003"}).text
        assert "A-1003" in one and "A-1001" not in one
        expired = c.get("/merchants/M000001/orders", params={"status": "expired"}).text
        assert "A-1004" in expired and "A-1006" in expired and "A-1001" not in expired
        paid = c.get("/merchants/M000001/orders", params={"paid_from": "2026-11-04", "paid_to": "2026-11-04"})
        assert "A-1006" in paid.text  # paid on 11-04, after its due date: still found by its payment
        everything = c.get("/merchants/M000001/orders").text
        assert paid.text.count("<tr>") < everything.count("<tr>")


def test_order_detail_shows_events_with_their_files_and_the_customer(shared_web):
    with shared_web.client() as c:
        login(c, "shop1")
        page = c.get("/merchants/M000001/orders/A-1001").text
    assert "速報" in page and "確報" in page
    assert "SEJ_01_20261104210000_000001.dat" in page and "ORDERS_20261102100500_000001.csv" in page
    assert "電話番号" in page  # the merchant's own customer, on 注文詳細 only


def test_collection_csv_utf8_bom_cp932_and_pdf(shared_web, tmp_path):
    with shared_web.client() as c:
        login(c, "shop1")
        params = {"start": "2026-11-01", "end": "2026-11-30", "format": "csv"}
        utf8 = c.get("/merchants/M000001/downloads/collection", params=params)
        sjis = c.get("/merchants/M000001/downloads/collection", params={**params, "encoding": "cp932"})
        pdf = c.get("/merchants/M000001/downloads/collection", params={**params, "format": "pdf"})
        too_long = c.get("/merchants/M000001/downloads/collection",
                         params={**params, "start": "2026-08-01"})
    assert utf8.status_code == 200 and utf8.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(utf8.content.decode("utf-8-sig"))))
    assert rows[0][0] == "加盟店番号" and {r[0] for r in rows[1:]} == {"M000001"}
    assert {r[6] for r in rows[1:]} >= {"A-1001", "A-1005"}
    assert sjis.content.decode("cp932") == utf8.content.decode("utf-8-sig")
    assert pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "c.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "c.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "収納結果" in text and "A-1001" in text
    assert too_long.status_code == 200 and "長すぎます" in too_long.text


def test_console_lists_exceptions_files_and_merchants(shared_web):
    with shared_web.client() as c:
        login(c, "ops")
        assert "M000003" in c.get("/console/").text
        exceptions = c.get("/console/exceptions").text
        assert "UNKNOWN_REFERENCE" in exceptions and "DUPLICATE_PAYMENT" in exceptions
        assert "SEJ_01_20261104210000_000001.dat" in c.get("/console/files").text
        for path in ("/console/sequences", "/console/sources", "/console/notifications"):
            assert c.get(path).status_code == 200, path
        assert c.get("/merchants/M000002/orders").status_code == 200  # operators see every merchant
