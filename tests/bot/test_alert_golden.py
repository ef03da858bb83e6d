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


def _t(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


PATTERN_HS = {"close": 68.40, "p1": 72.0, "p1_t": _t("2026-08-03"), "p2": 69.1, "p2_t": _t("2026-08-24"),
              "p3": 74.6, "p3_t": _t("2026-09-21"), "p4": 69.5, "p4_t": _t("2026-10-19"), "p5": 72.3,
              "p5_t": _t("2026-11-09"), "neck_start": 68.8, "neckline": 69.71, "target": 64.61}  # fmt: skip
PATTERN_IHS = {"close": 72.35, "p1": 66.0, "p1_t": _t("2026-08-03"), "p2": 70.9, "p2_t": _t("2026-08-24"),
               "p3": 63.2, "p3_t": _t("2026-09-21"), "p4": 71.1, "p4_t": _t("2026-10-19"), "p5": 66.3,
               "p5_t": _t("2026-11-09"), "neck_start": 70.8, "neckline": 71.22, "target": 79.14}  # fmt: skip
PATTERN_DT = {"close": 68.40, "p1": 74.6, "p1_t": _t("2026-09-21"), "p2": 69.5, "p2_t": _t("2026-10-19"),
              "p3": 74.4, "p3_t": _t("2026-11-09"), "neck_start": 69.5, "neckline": 69.5,
              "target": 64.4}  # fmt: skip
PATTERN_DB = {"close": 72.35, "p1": 63.2, "p1_t": _t("2026-09-21"), "p2": 71.1, "p2_t": _t("2026-10-19"),
              "p3": 63.5, "p3_t": _t("2026-11-09"), "neck_start": 71.1, "neckline": 71.1,
              "target": 79.0}  # fmt: skip
BASE = {"close": 72.35, "sma_fast": 70.40, "sma_slow": 70.12, "rsi": 58.3, "vol_avg": 900_000.0}
CASES: dict[SignalType, tuple[float, dict[str, float]]] = {
    SignalType.BREAKOUT_200: (72.35, {}),
    SignalType.BREAKDOWN_200: (68.02, {"close": 68.02, "rsi": 41.2}),
    SignalType.GOLDEN_CROSS: (71.10, {"close": 71.10, "sma_fast": 70.40, "sma_slow": 70.31}),
    SignalType.DEATH_CROSS: (69.80, {"close": 69.80, "sma_fast": 70.20, "sma_slow": 70.31}),
    SignalType.RSI_OVERBOUGHT: (74.90, {"close": 74.90, "rsi": 74.2}),
    SignalType.RSI_OVERSOLD: (64.05, {"close": 64.05, "rsi": 27.8}),
    SignalType.VOLUME_SPIKE: (72.35, {"volume": 2_430_000.0, "vol_base": 810_000.0}),
    SignalType.BB_UPPER_BREAK: (72.35, {"bb_mid": 69.50, "bb_upper": 71.90, "bb_lower": 67.10}),
    SignalType.BB_LOWER_BREAK: (
        66.80,
        {"close": 66.80, "bb_mid": 69.50, "bb_upper": 71.90, "bb_lower": 67.10},
    ),
    SignalType.BB_SQUEEZE_BREAKOUT: (72.35, {"bb_mid": 71.20, "bb_upper": 72.01, "bb_lower": 70.39}),
    SignalType.HIGH_52W: (72.35, {"high_52w": 71.80, "low_52w": 52.10}),
    SignalType.LOW_52W: (51.90, {"close": 51.90, "high_52w": 71.80, "low_52w": 52.10}),
    SignalType.HEAD_AND_SHOULDERS: (68.40, PATTERN_HS),
    SignalType.INVERSE_HEAD_AND_SHOULDERS: (72.35, PATTERN_IHS),
    SignalType.DOUBLE_TOP: (68.40, PATTERN_DT),
    SignalType.DOUBLE_BOTTOM: (72.35, PATTERN_DB),
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

# Bollinger, 52-week and chart-pattern alerts (checked by hand: each % is close vs the named level,
# the pattern's target vs the close)
EXTRA_GOLDEN = {
    (Language.EN, SignalType.BB_UPPER_BREAK): (
        "▲ Upper Bollinger band break · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 72.35 EUR · {WHEN_EN}",
        "Closed above the upper Bollinger band (20, 2σ) at 71.90: +0.63%",
    ),
    (Language.EN, SignalType.BB_LOWER_BREAK): (
        "▼ Lower Bollinger band break · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 66.80 EUR · {WHEN_EN}",
        "Closed below the lower Bollinger band (20, 2σ) at 67.10: -0.45%",
    ),
    (Language.EN, SignalType.BB_SQUEEZE_BREAKOUT): (
        "● Bollinger squeeze breakout · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 72.35 EUR · {WHEN_EN}",
        "Bands at their narrowest in 125 bars, then a close above the upper band (72.01): +0.47%",
    ),
    (Language.EN, SignalType.HIGH_52W): (
        "▲ New 52-week high · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 72.35 EUR · {WHEN_EN}",
        "Closed above the 52-week high (71.80): +0.77%",
    ),
    (Language.EN, SignalType.LOW_52W): (
        "▼ New 52-week low · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 51.90 EUR · {WHEN_EN}",
        "Closed below the 52-week low (52.10): -0.38%",
    ),
    (Language.EN, SignalType.HEAD_AND_SHOULDERS): (
        "▼ Head and shoulders · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 68.40 EUR · {WHEN_EN}",
        "Closed below the neckline (69.71), pattern 2026-08-03 to 2026-11-09; target 64.61 (-5.54%)",
    ),
    (Language.EN, SignalType.INVERSE_HEAD_AND_SHOULDERS): (
        "▲ Inverse head and shoulders · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 72.35 EUR · {WHEN_EN}",
        "Closed above the neckline (71.22), pattern 2026-08-03 to 2026-11-09; target 79.14 (+9.38%)",
    ),
    (Language.EN, SignalType.DOUBLE_TOP): (
        "▼ Double top · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 68.40 EUR · {WHEN_EN}",
        "Closed below the neckline (69.50), pattern 2026-09-21 to 2026-11-09; target 64.40 (-5.85%)",
    ),
    (Language.EN, SignalType.DOUBLE_BOTTOM): (
        "▲ Double bottom · FCO2.DE SparkChange Physical Carbon EUA ETC",
        f"Close 72.35 EUR · {WHEN_EN}",
        "Closed above the neckline (71.10), pattern 2026-09-21 to 2026-11-09; target 79.00 (+9.19%)",
    ),
    (Language.KO, SignalType.BB_UPPER_BREAK): (
        "▲ FCO2.DE SparkChange Physical Carbon EUA ETC · 볼린저 밴드 상단 돌파",
        f"종가 72.35 EUR · {WHEN_KO}",
        "종가가 볼린저 밴드(20일, 2σ) 상단(71.90) 위로 마감: +0.63%",
    ),
    (Language.KO, SignalType.BB_LOWER_BREAK): (
        "▼ FCO2.DE SparkChange Physical Carbon EUA ETC · 볼린저 밴드 하단 이탈",
        f"종가 66.80 EUR · {WHEN_KO}",
        "종가가 볼린저 밴드(20일, 2σ) 하단(67.10) 아래로 마감: -0.45%",
    ),
    (Language.KO, SignalType.BB_SQUEEZE_BREAKOUT): (
        "● FCO2.DE SparkChange Physical Carbon EUA ETC · 볼린저 스퀴즈 돌파",
        f"종가 72.35 EUR · {WHEN_KO}",
        "밴드 폭이 125일 중 최저, 이어서 종가가 상단(72.01) 위로 마감: +0.47%",
    ),
    (Language.KO, SignalType.HIGH_52W): (
        "▲ FCO2.DE SparkChange Physical Carbon EUA ETC · 52주 신고가",
        f"종가 72.35 EUR · {WHEN_KO}",
        "종가가 52주 최고가(71.80) 위로 마감: +0.77%",
    ),
    (Language.KO, SignalType.LOW_52W): (
        "▼ FCO2.DE SparkChange Physical Carbon EUA ETC · 52주 신저가",
        f"종가 51.90 EUR · {WHEN_KO}",
        "종가가 52주 최저가(52.10) 아래로 마감: -0.38%",
    ),
    (Language.KO, SignalType.HEAD_AND_SHOULDERS): (
        "▼ FCO2.DE SparkChange Physical Carbon EUA ETC · 헤드 앤 숄더",
        f"종가 68.40 EUR · {WHEN_KO}",
        "종가가 넥라인(69.71) 아래로 마감, 패턴 2026-08-03~2026-11-09 · 목표가 64.61 (-5.54%)",
    ),
    (Language.KO, SignalType.INVERSE_HEAD_AND_SHOULDERS): (
        "▲ FCO2.DE SparkChange Physical Carbon EUA ETC · 역헤드 앤 숄더",
        f"종가 72.35 EUR · {WHEN_KO}",
        "종가가 넥라인(71.22) 위로 마감, 패턴 2026-08-03~2026-11-09 · 목표가 79.14 (+9.38%)",
    ),
    (Language.KO, SignalType.DOUBLE_TOP): (
        "▼ FCO2.DE SparkChange Physical Carbon EUA ETC · 쌍봉 (더블 톱)",
        f"종가 68.40 EUR · {WHEN_KO}",
        "종가가 넥라인(69.50) 아래로 마감, 패턴 2026-09-21~2026-11-09 · 목표가 64.40 (-5.85%)",
    ),
    (Language.KO, SignalType.DOUBLE_BOTTOM): (
        "▲ FCO2.DE SparkChange Physical Carbon EUA ETC · 쌍바닥 (더블 바텀)",
        f"종가 72.35 EUR · {WHEN_KO}",
        "종가가 넥라인(71.10) 위로 마감, 패턴 2026-09-21~2026-11-09 · 목표가 79.00 (+9.19%)",
    ),
}
GOLDEN.update(EXTRA_GOLDEN)


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


def test_alert_rating_line_with_risk_figures() -> None:
    """A rating from a backtest with risk figures (issue 24) names the median drawdown, both languages."""
    rating = Rating(
        "KAU25", SignalType.VOLUME_SPIKE, 20, 11, 0.64, 0.01, 0.01, 0.0, 0.01, 2.1, -0.05, "C",
        datetime(2016, 12, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC),
        sd_return=0.05, median_drawdown=-0.042, worst_drawdown=-0.18, return_risk=0.24,
    )  # fmt: skip
    event = SignalEvent(
        "KAU25", SignalType.VOLUME_SPIKE, Interval.D1, SESSION, 9150.0,
        {"volume": 123_456.0, "vol_base": 40_000.0}, 3.1,
    )  # fmt: skip
    ko = to_plain(render_alert(Language.KO, event, KAU, rating).text).split("\n")
    assert ko[3] == "20일 적중률 64% (최근 10년, n=11), 등급 C, 최대낙폭 중앙값 -4.2%"
    en = to_plain(render_alert(Language.EN, event, KAU, rating).text).split("\n")
    assert en[3] == "20-day hit rate 64% over 10y (n=11), grade C, median drawdown -4.2%"


def test_intraday_bar_is_labelled_by_its_end() -> None:
    event = SignalEvent(
        "FCO2.DE", SignalType.RSI_OVERSOLD, Interval.M5, datetime(2026, 11, 30, 14, 0, tzinfo=UTC),
        64.05, {"rsi": 27.8}, 27.8,
    )  # fmt: skip
    line = to_plain(render_alert(Language.EN, event, FCO2, None).text).split("\n")[1]
    assert line == "Close 64.05 EUR · 2026-11-30 15:05 Frankfurt · 11-30 23:05 KST"


SAMSUNG = Instrument("005930.KS", "삼성전자", Market.KRX, "KRW", "Asia/Seoul")
INTRADAY_RATING = Rating(
    "005930.KS@15m", SignalType.GOLDEN_CROSS, 12, 31, 0.61, 0.002, 0.001, 0.0, 0.001, 2.3, -0.01, "B",
    datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC),
)  # fmt: skip
INTRADAY_GOLDEN = {
    (Language.EN, SignalType.GOLDEN_CROSS): [
        "▲ Golden cross · 005930.KS 삼성전자 · 15-minute bars",
        "Close 71,100 KRW · 2026-11-30 10:30 KST",
        "50-bar average (70,400) crossed above the 200-bar average (70,310): +0.13%",
        "12-bar hit rate 61% on 15-minute bars (n=31), grade B",
    ],
    (Language.EN, SignalType.VOLUME_SPIKE): [
        "● Volume spike · 005930.KS 삼성전자 · 15-minute bars",
        "Close 72,350 KRW · 2026-11-30 10:30 KST",
        "Volume 2.4M, 3.0× its 20-bar average (810K)",
        "No rating yet on 15-minute bars: too little stored history to backtest",
    ],
    (Language.KO, SignalType.GOLDEN_CROSS): [
        "▲ 005930.KS 삼성전자 · 골든 크로스 · 15분봉",
        "종가 71,100 KRW · 2026-11-30 10:30 KST",
        "50봉 이동평균(70,400)이 200봉 이동평균(70,310)을 상향 돌파: +0.13%",
        "15분봉 12봉 적중률 61% (n=31), 등급 B",
    ],
    (Language.KO, SignalType.VOLUME_SPIKE): [
        "● 005930.KS 삼성전자 · 거래량 급증 · 15분봉",
        "종가 72,350 KRW · 2026-11-30 10:30 KST",
        "거래량 243만, 20봉 평균(81만)의 3.0배",
        "15분봉 등급 아직 없음: 백테스트할 저장 이력이 부족합니다",
    ],
}


@pytest.mark.parametrize(("lang", "signal"), list(INTRADAY_GOLDEN))
def test_intraday_alert_names_its_timeframe(lang: Language, signal: SignalType) -> None:
    """A 15-minute alert says so in its title, counts its windows in bars and carries the rating on
    15-minute bars, or says plainly that there is none yet."""
    close, extra = CASES[signal]
    values = {
        k: v * 1000 if k in ("close", "sma_fast", "sma_slow") else v for k, v in {**BASE, **extra}.items()
    }
    event = SignalEvent(
        "005930.KS",
        signal,
        Interval.M15,
        datetime(2026, 11, 30, 1, 15, tzinfo=UTC),
        close * 1000,
        values,
        1.0,
    )
    rating = INTRADAY_RATING if signal is SignalType.GOLDEN_CROSS else None
    assert (
        to_plain(render_alert(lang, event, SAMSUNG, rating).text).split("\n")
        == INTRADAY_GOLDEN[(lang, signal)]
    )


def test_a_minute_bar_breakout_is_not_called_a_200_day_line_in_korean() -> None:
    when = datetime(2026, 11, 30, 1, 15, tzinfo=UTC)
    event = SignalEvent(
        "005930.KS", SignalType.BREAKOUT_200, Interval.M5, when, 72350.0, {"sma_slow": 70120.0}, 3.18
    )
    ko = to_plain(render_alert(Language.KO, event, SAMSUNG, None).text).split("\n")
    assert ko[:3] == [
        "▲ 005930.KS 삼성전자 · 200봉선 상향 돌파 · 5분봉",
        "종가 72,350 KRW · 2026-11-30 10:20 KST",
        "종가가 200봉 이동평균(70,120) 위로 마감: +3.18%",
    ]
    en = to_plain(render_alert(Language.EN, event, SAMSUNG, None).text).split("\n")
    assert en[0] == "▲ SMA 200 breakout · 005930.KS 삼성전자 · 5-minute bars"
    assert en[2] == "Closed above the 200-bar average (70,120): +3.18%"
