"""Pure rendering: escaping, the 4,096-character cap, callback_data size, texts in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import language_for, signal_name
from bot.views import (
    callback,
    esc,
    fit,
    keyboard_json,
    num,
    render_price,
    render_status,
    render_watchlist,
    to_plain,
)
from bot.views_alert import render_alert
from core.types import Instrument, Interval, Language, Market, Quote, Rating, SignalEvent, SignalType, Watch
from tests.bot.fakes import INSTRUMENTS, NOW


def test_fit_never_exceeds_the_limit_and_keeps_whole_lines() -> None:
    text = fit([f"<b>line {i}</b> " + "x" * 90 for i in range(1000)])
    assert len(text) <= 4096
    assert text.endswith("…")
    assert all(line.startswith("<b>line") for line in text.split("\n")[:-1])  # no tag cut in half


def test_esc_escapes_and_truncates() -> None:
    assert esc("<a href='x'>&</a>") == "&lt;a href='x'&gt;&amp;&lt;/a&gt;"
    assert esc("y" * 500, 10) == "y" * 9 + "…"


def test_callback_data_is_at_most_64_bytes() -> None:
    assert callback("m", "005930.KS", SignalType.RSI_OVERBOUGHT.value) == "m|005930.KS|rsi_overbought"
    with pytest.raises(ValueError, match="64 bytes"):
        callback("m", "한" * 30, "x")


def test_watchlist_of_long_symbols_fits() -> None:
    watches = [
        Watch(1, f"SYM{i:03d}.ABCDEFGHIJKLMNOPQRSTUVWX", muted=frozenset({SignalType.DEATH_CROSS}))
        for i in range(60)
    ]
    reply = render_watchlist(Language.EN, watches, 100)
    assert len(reply.text) <= 4096
    markup = keyboard_json(reply.buttons)
    assert markup is not None
    for row in markup["inline_keyboard"]:
        for button in row:
            assert len(button["callback_data"].encode()) <= 64


def test_alert_escapes_outside_strings_and_fits() -> None:
    values = {f"<k{i}>": float(i) for i in range(50)}
    event = SignalEvent("EVIL", SignalType.VOLUME_SPIKE, Interval.D1, NOW, 1.5, values, 3.2)
    inst = Instrument("EVIL", "<script>" * 200, Market.US, "USD", "America/New_York")
    reply = render_alert(Language.KO, event, inst, None)
    assert "<script>" not in reply.text
    assert len(reply.text) <= 4096
    assert "거래량 급증" in reply.text
    assert "2026-11-21 마감 16:00 뉴욕 · 11-22 06:00 KST" in reply.text


def test_alert_rating_line_insufficient_data() -> None:
    r = Rating(
        "FCO2.DE",
        SignalType.GOLDEN_CROSS,
        20,
        3,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "insufficient data",
        datetime(2021, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    event = SignalEvent("FCO2.DE", SignalType.GOLDEN_CROSS, Interval.D1, NOW, 70.0, {}, 0.1)
    assert (
        "20-day: insufficient data over 5y (n=3)"
        in render_alert(Language.EN, event, INSTRUMENTS["FCO2.DE"], r).text
    )


def test_price_with_missing_fields() -> None:
    reply = render_price(Language.EN, INSTRUMENTS["KAU25"], Quote("KAU25", 9150.0, NOW, "krx"), 5.0)
    assert "9,150 KRW" in reply.text
    assert "- (-)" in reply.text  # no previous close: no change
    assert "SMA200" not in reply.text


def test_status_and_plain_text() -> None:
    text = render_status(Language.EN, {"queue": 3, "sources": {"yahoo": "<open>"}, "jobs": ["a", "b"]}).text
    assert "yahoo: &lt;open&gt;" in text
    assert to_plain(text).count("<open>") == 1


def test_languages() -> None:
    assert language_for("ko-KR", "en") is Language.KO
    assert language_for("de", "ko") is Language.KO
    assert language_for(None, "en") is Language.EN
    assert signal_name(Language.KO, SignalType.GOLDEN_CROSS) == "골든 크로스"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        (0.0, "0.00"),
        (0.012345, "0.01235"),
        (59.283, "59.28"),
        (1234.5, "1,234.50"),
        (9150.0, "9,150"),
        (92_788_377.25, "92,788,377"),
        (-2500.75, "-2,500.75"),
    ],
)
def test_numbers_read_well(value: float | None, text: str) -> None:
    assert num(value) == text
