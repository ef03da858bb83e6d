"""/price and /status rendering details a reader notices."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.views import render_price, render_status, to_plain
from core.types import Instrument, Language, Market, Quote

INST = Instrument("SPY", "SPDR S&P 500 ETF Trust", Market.US, "USD", "America/New_York")
TS = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)


def test_live_quote_shows_signed_change_source_and_age() -> None:
    q = Quote("SPY", 396.33, TS, "yahoo", prev_close=394.73)
    text = to_plain(render_price(Language.EN, INST, q, 125.0).text)
    assert "+1.60 (+0.41%)" in text
    assert "2026-11-21 06:00 KST (21:00 UTC)" in text
    assert "yahoo, 2m old" in text


def test_stored_close_says_so_instead_of_an_age() -> None:
    q = Quote("SPY", 390.0, TS, "stored:csv", prev_close=395.0)
    en = to_plain(render_price(Language.EN, INST, q, 0.0).text)
    assert "-5.00" in en
    assert "last stored close (csv)" in en
    assert " 0s" not in en
    ko = to_plain(render_price(Language.KO, INST, q, 0.0).text)
    assert "저장된 마지막 종가" in ko


def test_status_rows_are_compact_lines() -> None:
    report = {
        "sources": [{"source": "yahoo", "breaker": "open", "ok": 3, "failed": 5, "last_error": "<timeout>"}],
        "jobs": [],
    }
    text = render_status(Language.EN, report).text
    assert "yahoo: breaker open, ok 3, failed 5, last_error &lt;timeout&gt;" in text
    assert "jobs</b>: -" in text
