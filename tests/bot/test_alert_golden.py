"""Golden alerts: the exact text a person reads for each signal type, in English and Korean."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.views import to_plain
from bot.views_alert import Windows, render_alert
from core.types import Instrument, Interval, Language, Market, Rating, SignalEvent, SignalType

FCO2 = Instrument("FCO2.DE", "SparkChange Physical Carbon EUA ETC", Market.XETRA, "EUR", "Europe/Berlin")
KAU = Instrument("KAU25", "Korean Allowance Unit 25", Market.KETS, "KRW", "Asia/Seoul")
SESSION = datetime(2026, 11, 30, tzinfo=UTC)  # daily bar of the 2026-11-30 session

BASE = {"close": 72.35, "sma_fast": 70.40, "sma_slow": 70.12, "rsi": 58.3, "vol_avg": 900_000.0}
CASES: dict[SignalType, tuple[float, dict[str, float]]] = {
    SignalType.BREAKOUT_200: (72.35, {}),
    SignalType.BREAKDOWN_200: (68.02, {"close": 68.02, "rsi": 41.2}),
    SignalType.GOLDEN_CROSS: (71.10, {"close": 71.10, "sma_fast": 70.40, "sma_slow": 70.31}),
    SignalType.DEATH_CROSS: (69.80, {"close": 69.80, "sma_fast": 70.20, "sma_slow": 70.31}),
    SignalType.RSI_OVERBOUGHT: (74.90, {"close": 74.90, "rsi": 74.2}),
    SignalType.RSI_OVERSOLD: (64.05, {"close": 64.05, "rsi": 27.8}),
    SignalType.VOLUME_SPIKE: (72.35, {"volume": 2_430_000.0, "vol_base": 810_000.0}),
}
WHEN_EN = "2026-11-30 close 17:30 Frankfurt · 12-01 01:30 KST"
WHEN_KO = "2026-11-30 마감 17:30 프랑크푸르트 · 12-01 01:30 KST"

GOLDEN = {
    (Language.EN, SignalType.BREAKOUT_200): (
        "▲ SMA 200 breakout · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 72.35 EUR · {WHEN_EN}",
        "Closed above SMA 200 (70.12): +3.18%",
    ),
    (Language.EN, SignalType.BREAKDOWN_200): (
        "▼ SMA 200 breakdown · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 68.02 EUR · {WHEN_EN}",
        "Closed below SMA 200 (70.12): -2.99%",
    ),
    (Language.EN, SignalType.GOLDEN_CROSS): (
        "▲ Golden cross · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 71.10 EUR · {WHEN_EN}",
        "SMA 50 (70.40) crossed above SMA 200 (70.31): +0.13%",
    ),
    (Language.EN, SignalType.DEATH_CROSS): (
        "▼ Death cross · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 69.80 EUR · {WHEN_EN}",
        "SMA 50 (70.20) crossed below SMA 200 (70.31): -0.16%",
    ),
    (Language.EN, SignalType.RSI_OVERBOUGHT): (
        "▼ RSI overbought · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 74.90 EUR · {WHEN_EN}",
        "RSI 14 at 74.2, above 70 (overbought)",
    ),
    (Language.EN, SignalType.RSI_OVERSOLD): (
        "▲ RSI oversold · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 64.05 EUR · {WHEN_EN}",
        "RSI 14 at 27.8, below 30 (oversold)",
    ),
    (Language.EN, SignalType.VOLUME_SPIKE): (
        "● Volume spike · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 72.35 EUR · {WHEN_EN}",
        "Volume 2.4M, 3.0× its 20-day average (810K)",
    ),
    (Language.KO, SignalType.BREAKOUT_200): (
        "▲ FCO2.DE SparkChange Physical Carbon EUA ETC · 200일선 상향 돌파",
        f"종가 72.35 EUR · {WHEN_KO}",
        "종가가 200일 이동평균(70.12) 위로 마감: +3.18%",
    ),
    (Language.KO, SignalType.BREAKDOWN_200): (
        "▼ FCO2.DE SparkChange Physical Carbon EUA ETC · 200일선 하향 이탈",
        f"종가 68.02 EUR · {WHEN_KO}",
        "종가가 200일 이동평균(70.12) 아래로 마감: -2.99%",
    ),
    (Language.KO, SignalType.GOLDEN_CROSS): (
        "▲ FCO2.DE SparkChange Physical Carbon EUA ETC · 골든 크로스",
        f"종가 71.10 EUR · {WHEN_KO}",
        "50일 이동평균(70.40)이 200일 이동평균(70.31)을 상향 돌파: +0.13%",
    ),
    (Language.KO, SignalType.DEATH_CROSS): (
        "▼ FCO2.DE SparkChange Physical Carbon EUA ETC · 데드 크로스",
        f"종가 69.80 EUR · {WHEN_KO}",
        "50일 이동평균(70.20)이 200일 이동평균(70.31)을 하향 돌파: -0.16%",
    ),
    (Language.KO, SignalType.RSI_OVERBOUGHT): (
        "▼ FCO2.DE SparkChange Physical Carbon EUA ETC · RSI 과매수",
        f"종가 74.90 EUR · {WHEN_KO}",
        "RSI 14: 74.2, 70 이상 (과매수)",
    ),
    (Language.KO, SignalType.RSI_OVERSOLD): (
        "▲ FCO2.DE SparkChange Physical Carbon EUA ETC · RSI 과매도",
        f"종가 64.05 EUR · {WHEN_KO}",
        "RSI 14: 27.8, 30 이하 (과매도)",
    ),
    (Language.KO, SignalType.VOLUME_SPIKE): (
        "● FCO2.DE SparkChange Physical Carbon EUA ETC · 거래량 급증",
        f"종가 72.35 EUR · {WHEN_KO}",
        "거래량 243만, 20일 평균(81만)의 3.0배",
    ),
}


def _event(signal: SignalType) -> SignalEvent:
    close, extra = CASES[signal]
    return SignalEvent("FCO2.DE", signal, Interval.D1, SESSION, close, {**BASE, **extra}, 1.0)


@pytest.mark.parametrize(("lang", "signal"), list(GOLDEN))
def test_alert_golden_text(lang: Language, signal: SignalType) -> None:
    reply = render_alert(lang, _event(signal), FCO2, None)
    assert to_plain(reply.text).split("\n") == list(GOLDEN[(lang, signal)])


def test_alert_html_bolds_signal_and_symbol_and_names_nothing_twice() -> None:
    text = render_alert(Language.EN, _event(SignalType.GOLDEN_CROSS), FCO2, None).text
    assert text.startswith("▲ <b>Golden cross</b> · <b>FCO2.DE</b> SparkChange")
    for raw in ("sma_fast", "sma_slow", "vol_base", "vol_avg", "rsi "):
        assert raw not in text
    assert text.count("71.10") == 1


def test_alert_in_won_with_rating_line_and_own_windows() -> None:
    rating = Rating(
        "KAU25", SignalType.VOLUME_SPIKE, 20, 11, 0.64, 0.01, 0.01, 0.0, 0.01, 2.1, -0.05, "B",
        datetime(2016, 12, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC),
    )  # fmt: skip
    event = SignalEvent(
        "KAU25", SignalType.VOLUME_SPIKE, Interval.D1, SESSION, 9150.0,
        {"volume": 123_456.0, "vol_base": 40_000.0}, 3.1,
    )  # fmt: skip
    ko = render_alert(Language.KO, event, KAU, rating, windows=Windows(volume_window=30))
    assert to_plain(ko.text).split("\n") == [
        "● KAU25 Korean Allowance Unit 25 · 거래량 급증",
        "종가 9,150 KRW · 2026-11-30 마감 12:00 KST",
        "거래량 12.3만, 30일 평균(4만)의 3.1배",
        "20일 적중률 64% (최근 10년, n=11), 등급 B",
    ]
    en = to_plain(render_alert(Language.EN, event, KAU, rating).text).split("\n")
    assert en[1] == "Close 9,150 KRW · 2026-11-30 close 12:00 KST"
    assert en[3] == "20-day hit rate 64% over 10y (n=11), grade B"


def test_intraday_bar_is_labelled_by_its_end() -> None:
    event = SignalEvent(
        "FCO2.DE", SignalType.RSI_OVERSOLD, Interval.M5, datetime(2026, 11, 30, 14, 0, tzinfo=UTC),
        64.05, {"rsi": 27.8}, 27.8,
    )  # fmt: skip
    line = to_plain(render_alert(Language.EN, event, FCO2, None).text).split("\n")[1]
    assert line == "Close 64.05 EUR · 2026-11-30 15:05 Frankfurt · 11-30 23:05 KST"


SAMSUNG = Instrument("005930.KS", "삼성전자", Market.KRX, "KRW", "Asia/Seoul")
FLOWS = {"foreign_value": 152_340_000_000.0, "institution_value": 48_700_000_000.0, "streak": 5.0}
FLOW_GOLDEN = {
    (Language.EN, SignalType.FOREIGN_BUY_STREAK): [
        "▲ Foreign buying streak · 005930.KS 삼성전자",
        "Close 71,500 KRW · 2026-11-30 close 15:30 KST",
        "Foreigners net buyers 5 sessions in a row (today KRW +152.3bn)",
    ],
    (Language.KO, SignalType.FOREIGN_BUY_STREAK): [
        "▲ 005930.KS 삼성전자 · 외국인 연속 순매수",
        "종가 71,500 KRW · 2026-11-30 마감 15:30 KST",
        "외국인 5거래일 연속 순매수 (오늘 +1,523.4억원)",
    ],
    (Language.EN, SignalType.SMART_MONEY_BUY): [
        "▲ Smart money buying · 005930.KS 삼성전자",
        "Close 71,500 KRW · 2026-11-30 close 15:30 KST",
        "Foreigners KRW +152.3bn and institutions KRW +48.7bn both net buyers",
    ],
    (Language.KO, SignalType.SMART_MONEY_BUY): [
        "▲ 005930.KS 삼성전자 · 외국인·기관 동반 순매수",
        "종가 71,500 KRW · 2026-11-30 마감 15:30 KST",
        "외국인 +1,523.4억원, 기관 +487.0억원 동반 순매수",
    ],
}


@pytest.mark.parametrize(("lang", "signal"), list(FLOW_GOLDEN))
def test_flow_alert_golden_text(lang: Language, signal: SignalType) -> None:
    event = SignalEvent("005930.KS", signal, Interval.D1, SESSION, 71_500.0, FLOWS, 5.0)
    assert to_plain(render_alert(lang, event, SAMSUNG, None).text).split("\n") == FLOW_GOLDEN[(lang, signal)]
