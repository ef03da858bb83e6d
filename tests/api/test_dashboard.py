"""The dashboard in a real headless Chromium (Debian's chromium + chromium-driver, via selenium): the
chart and the watchlist appear, and a quote change arrives over the WebSocket. A screenshot is saved
to var/test-artifacts/dashboard.png (FINSIGNAL_TEST_ARTIFACTS overrides the folder)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storage import Database
from tests.api.conftest import READ_KEY, START, closes, seed
from tests.api.test_access import _env, _free_port
from tests.fakes.fake_sources import FakeSources
from tests.fakes.source_payloads import daily_rows

ARTIFACTS = Path(os.environ.get("FINSIGNAL_TEST_ARTIFACTS", "var/test-artifacts"))


def _browser() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        message = "chromium/chromedriver not installed (make test-deps installs them)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return chromium, driver


@pytest.fixture
def server(sqlite_db: Database, fake_sources: FakeSources) -> Iterator[str]:
    env = _env(sqlite_db, fake_sources)
    env["FINSIGNAL_QUOTE_MAX_AGE_S"] = "1"
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "finsignal", "api", "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_dashboard_chart_watchlist_and_live_quote(
    sqlite_db: Database, fake_sources: FakeSources, server: str
) -> None:
    chromium, driver_path = _browser()
    await seed(sqlite_db)
    await asyncio.to_thread(_drive, chromium, driver_path, fake_sources, server)


def api_date_of_last_bar() -> str:
    """The KST date of the seeded history's last bar (what the chart's last date label shows)."""
    return daily_rows(START, closes())[-1].day.isoformat()


def _drive(chromium: str, driver_path: str, fake_sources: FakeSources, server: str) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        browser.get(f"{server}/?key={READ_KEY}&symbols=AAPL&lang=ko")
        wait = WebDriverWait(browser, 30)
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#chart rect.candle")) > 100)
        assert browser.find_elements(By.CSS_SELECTOR, "#chart polyline.sma50")
        assert browser.find_elements(By.CSS_SELECTOR, "#chart text.marker")  # the stored golden cross
        axis = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#chart text.axis")]
        assert len(axis) == 9  # five prices, four KST dates
        assert axis[-1] == api_date_of_last_bar()
        price = browser.find_element(By.CSS_SELECTOR, 'tr[data-symbol="AAPL"] .price')
        wait.until(lambda _: price.text not in ("", "–"))
        assert "관심 종목" in browser.page_source
        wait.until(lambda b: "실시간" in b.find_element(By.ID, "status").text)
        # a new price at the source; the next quote fetch (any client) is published to the stream
        fake_sources.add_yahoo("AAPL", daily_rows(START, [*closes()[:-1], 555.55]))
        time.sleep(1.2)  # past FINSIGNAL_QUOTE_MAX_AGE_S
        r = httpx.get(f"{server}/v1/quotes/AAPL", headers={"X-API-Key": READ_KEY}, timeout=10)
        assert r.json()["price"] == 555.55
        wait.until(lambda _: price.text == "555.55")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
        browser.get(f"{server}/?key={READ_KEY}&symbols=AAPL&lang=en")
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#chart rect.candle")) > 100)
        wait.until(lambda b: "Watchlist" in b.page_source and "live" in b.find_element(By.ID, "status").text)
        english = browser.find_element(By.CSS_SELECTOR, 'tr[data-symbol="AAPL"] .price')
        wait.until(lambda _: english.text == "555.55")
        browser.save_screenshot(str(ARTIFACTS / "dashboard-en.png"))
    finally:
        browser.quit()
