"""The customers' payment page (決済選択画面) in Debian's chromium on a 360-px-wide phone viewport:
choose a chain, see the reference and, for Lawson, a barcode image that zbarimg decodes to the
GS1-128 barcode of feeds.md. Plus the page's states and what a token gives access to."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta

import pytest

from tasks import clock
from tasks.feeds import gs1
from tests.api.conftest import order

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TODAY = clock.now().date()
needs_browser = pytest.mark.skipif(
    not (shutil.which("zbarimg") and shutil.which(CHROMIUM)),
    reason="needs Debian's chromium and zbar-tools (bootstrap.sh)",
)


def open_order(client, order_id: str, **over) -> dict:
    fields = {
        "chain": ...,
        "ordered_at": f"{TODAY}T09:00:00+09:00",
        "due_date": str(TODAY + timedelta(days=7)),
        "amount": 54000,
        "tax_amount": 4909,
        **over,
    }
    body = order(order_id, **fields)
    r = client.post("/api/v1/orders", json=body)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@needs_browser
def test_choose_lawson_on_a_phone_and_scan_the_barcode(client, settings, browser, tmp_path):
    o = open_order(client, "PAY-1")
    page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.on(
        "response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None
    )
    page.goto(o["payment_url"])
    assert page.locator("h1").inner_text() == "コンビニでのお支払い"
    assert page.locator("#merchant").inner_text() == "株式会社サンプル商店"
    assert page.locator("#amount").inner_text() == "54,000円"
    buttons = page.locator("form.chains button").all_inner_texts()
    assert buttons == [
        "セブン-イレブン",
        "ローソン",
        "ファミリーマート",
        "ミニストップ",
        "デイリーヤマザキ",
        "セイコーマート",
    ]  # the site's enabled chains
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    page.get_by_role("button", name="ローソン").click()
    page.wait_for_selector("#reference")
    reference = page.locator("#reference").inner_text()
    assert page.locator("#chain").inner_text() == "ローソンでのお支払い方法"
    assert len(reference) == 11 and reference.isdigit()
    assert client.get("/api/v1/orders/PAY-1").json()["payment_reference"] == reference  # issued once
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot = tmp_path / "barcode.png"
    page.locator("#barcode").screenshot(path=str(shot))
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", str(shot)], capture_output=True, text=True, timeout=60
    )
    assert scanned.returncode == 0, scanned.stderr
    # Lawson: stamp by amount minus tax (54,000 - 4,909 < 50,000): none
    expected = gs1.build_barcode(
        settings.gs1_company_code, reference, date.fromisoformat(o["due_date"]), False, 54000
    )
    assert scanned.stdout.strip() == expected
    assert not errors  # nothing refused by the CSP, nothing missing
    # choosing again (a reload, another tab) changes nothing
    page.goto(o["payment_url"])
    assert page.locator("#reference").inner_text() == reference
    assert page.locator("form.chains").count() == 0


def test_a_past_due_order_says_so_and_offers_no_chain(client):
    body = order("PAY-OLD", chain=..., ordered_at="2026-01-05T10:00:00+09:00", due_date="2026-01-10")
    o = client.post("/api/v1/orders", json=body).json()
    page = client.get(o["payment_url"])
    assert page.status_code == 200 and "お支払い期限を過ぎています" in page.text
    assert "<button" not in page.text
    assert client.post(o["payment_url"], data={"chain": "seven"}).status_code in (200, 303)
    assert client.get("/api/v1/orders/PAY-OLD").json()["payment_reference"] is None


def test_famima_is_not_offered_for_an_order_due_today(client):
    o = open_order(client, "PAY-FM", due_date=str(TODAY))
    page = client.get(o["payment_url"]).text
    assert "ファミリーマート" not in page and "ローソン" in page
    client.post(o["payment_url"], data={"chain": "famima"})
    assert client.get("/api/v1/orders/PAY-FM").json()["chain"] is None


def test_a_token_shows_its_order_only_and_no_customer_data(client, server):
    import httpx

    o = open_order(client, "PAY-2")
    token = o["payment_url"].rsplit("/", 1)[1]
    assert len(token) == 32  # 192 random bits
    with httpx.Client(base_url=server.url) as anyone:  # no key, no session: the token is all
        page = anyone.get(f"/pay/{token}")
        assert page.status_code == 200
        for personal in ("ヤマダ", "0312345678", "taro@example.jp", "PAY-2"):
            assert personal not in page.text
        assert "script" not in page.text.lower()
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
        for bad in ("x" * 32, token[:-1] + ("A" if token[-1] != "A" else "B"), token + "x", "%2e%2e"):
            assert anyone.get(f"/pay/{bad}").status_code == 404
        assert anyone.get(f"/pay/{token}/barcode.svg").status_code == 404  # no chain chosen yet
