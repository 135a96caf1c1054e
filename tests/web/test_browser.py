"""The web in a real browser: Playwright driving Debian's chromium over a real server on 127.0.0.1.

Log in, search, open an order, download CSV and PDF and read them back, resolve an exception as an
operator and see it resolved in `konbini exceptions list`. Each page is photographed; with
KONBINI_SCREENSHOTS=update into docs/web/ (described in docs/web.md), otherwise into a temporary
folder, so that a test run leaves the checkout as it was.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from .conftest import PASSWORD
from .test_users_cli import konbini

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "web"
SHOTS = DOCS_SHOTS if os.environ.get("KONBINI_SCREENSHOTS") == "update" else Path(tempfile.mkdtemp())
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]



@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_merchant_logs_in_searches_opens_an_order_and_downloads(web, browser, tmp_path):
    page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 800})
    page.goto(f"{web.url}/login")
    shot(page, "login")
    log_in(page, web.url, "shop1")
    page.wait_for_url(f"{web.url}/merchants/M000001/")
    assert page.locator("h1").inner_text() == "ホーム"
    shot(page, "home")

    page.click("text=収納状況")
    page.fill("input[name=order_id]", "A-1005")
    page.click("text=検索")
    rows = page.locator("table.orders tr")
    assert rows.count() == 2 and "A-1005" in rows.nth(1).inner_text()
    page.goto(f"{web.url}/merchants/M000001/orders")
    shot(page, "orders")
    page.click("text=A-1005")
    assert "注文詳細 A-1005" in page.locator("h1").inner_text()
    assert page.locator("table.events tr").count() >= 3  # header + its events
    shot(page, "order")

    page.click("text=収納結果ダウンロード")
    page.fill("input[name=start]", "2026-11-01")
    page.fill("input[name=end]", "2026-11-30")
    shot(page, "downloads")
    with page.expect_download() as got:
        page.click("text=ダウンロード >> nth=-1")
    csv_path = tmp_path / "collection.csv"
    got.value.save_as(csv_path)
    rows = list(csv.reader(io.StringIO(csv_path.read_bytes().decode("utf-8-sig"))))
    assert rows[0][0] == "加盟店番号" and "A-1001" in {r[6] for r in rows[1:]}
    page.select_option("select[name=format]", "pdf")
    with page.expect_download() as got:
        page.click("text=ダウンロード >> nth=-1")
    pdf_path = tmp_path / "collection.pdf"
    got.value.save_as(pdf_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "収納結果" in text and "A-1001" in text

    for link, name in (("入金明細", "statements"), ("日次推移", "trend"), ("速報通知", "notifications")):
        page.click(f"header >> text={link}")
        assert page.locator("h1").inner_text() == link
        shot(page, name)


def test_operator_resolves_an_exception_seen_by_the_cli(web, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 800})
    log_in(page, web.url, "ops")
    page.wait_for_url(f"{web.url}/console/")
    shot(page, "console")
    page.click("text=未解決の例外")
    shot(page, "exceptions")
    row = page.locator("tr", has_text="UNKNOWN_REFERENCE").first
    exception_id = row.get_attribute("id")
    row.locator("select[name=action]").select_option("refund")
    row.locator("input[name=note]").fill("お客様へ返金")
    row.locator("button").click()
    page.wait_for_url("**/console/exceptions?done=*")
    assert page.locator(f"tr#{exception_id}").count() == 0
    listed = konbini(web.settings, "exceptions", "list", "--state", "resolved")
    assert exception_id in listed.stdout and "refund" in listed.stdout
    for link, name in (("受信ファイル", "files"), ("連番と欠番", "sequences"), ("取得元の状態", "sources"),
                       ("配信不能の通知", "dead")):
        page.goto(f"{web.url}/console/")
        page.click(f"main >> text={link}")
        shot(page, name)
