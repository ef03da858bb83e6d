"""/price and /status rendering details a reader notices."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.views import render_price, render_status, snapshot_line, to_plain
from core.types import Instrument, Language, Market, Quote

INST = Instrument("SPY", "SPDR S&P 500 ETF Trust", Market.US, "USD", "America/New_York")
TS = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)


def test_live_quote_shows_signed_change_source_and_age() -> None:
    q = Quote("SPY", 396.33, TS, "yahoo", prev_close=394.73)
    text = to_plain(render_price(Language.EN, INST, q, 125.0).text)
    assert "+1.60 (+0.41%)" in text
    assert "2026-11-20 16:00 New York · 11-21 06:00 KST" in text
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


def test_status_shows_every_time_in_one_form() -> None:
    report = {
        "generated_at": "2026-12-01T00:10:00+00:00",
        "jobs": [
            {"job": "update_prices", "last_run": "2026-12-01T08:55:00+09:00", "next_run": "2026-12-01T00:15Z"}
        ],
    }
    text = render_status(Language.EN, report).text
    assert "+09:00" not in text
    assert "+00:00" not in text
    assert "generated_at: 2026-12-01 09:10 KST" in text
    assert "update_prices: last_run 2026-12-01 08:55 KST, next_run 2026-12-01 09:15 KST" in text


def test_signals_snapshot_line_golden_in_both_languages() -> None:
    snap = {
        "close": 78300.0,
        "sma50": 74210.0,
        "sma200": 70990.4,
        "rsi14": 63.27,
        "volume": 2.2e7,
        "vol_avg20": 1.1e7,
    }
    assert snapshot_line(Language.EN, snap, "KRW") == (
        "Close 78,300 KRW · SMA 50 74,210 · SMA 200 70,990 · RSI 14 63.3 · Volume 22M (2.0× 20-day avg)"
    )
    assert snapshot_line(Language.KO, snap, "KRW") == (
        "종가 78,300 KRW · SMA 50 74,210 · SMA 200 70,990 · RSI 14 63.3 · 거래량 2,200만 (20일 평균의 2.0배)"
    )


def test_price_change_uses_the_markets_decimals() -> None:
    inst = Instrument("005930.KS", "Samsung Electronics", Market.KRX, "KRW", "Asia/Seoul")
    q = Quote("005930.KS", 78300.0, TS, "stored:yahoo", prev_close=78800.0)
    text = to_plain(render_price(Language.EN, inst, q, 0.0).text)
    assert "78,300 KRW  -500 (-0.63%)" in text
    assert "2026-11-20 close 15:30 KST" in text


def test_a_halted_korean_stock_says_so_under_the_title() -> None:
    samsung = Instrument("005930.KS", "삼성전자", Market.KRX, "KRW", "Asia/Seoul")
    q = Quote("005930.KS", 71_500.0, TS, "kis", prev_close=72_000.0)
    en = to_plain(render_price(Language.EN, samsung, q, 30.0, halted=True).text).split("\n")
    ko = to_plain(render_price(Language.KO, samsung, q, 30.0, halted=True).text).split("\n")
    assert en[:3] == [
        en[0],
        "71,500 KRW  -500 (-0.69%)",
        "⏸ Trading halted: no signals until trading resumes",
    ]
    assert ko[2] == "⏸ 거래정지: 거래가 재개될 때까지 신호 없음"
    assert "halted" not in to_plain(render_price(Language.EN, samsung, q, 30.0).text).lower()
