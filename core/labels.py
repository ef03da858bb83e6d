"""The names people read for signal types and markets, one table for every surface (alerts, /signals,
/backtest, charts), in English and Korean. Plain data: no I/O."""

from __future__ import annotations

from core.types import Market, SignalType

SIGNAL_NAMES: dict[str, dict[SignalType, str]] = {
    "en": {
        SignalType.BREAKOUT_200: "SMA 200 breakout",
        SignalType.BREAKDOWN_200: "SMA 200 breakdown",
        SignalType.GOLDEN_CROSS: "Golden cross",
        SignalType.DEATH_CROSS: "Death cross",
        SignalType.RSI_OVERBOUGHT: "RSI overbought",
        SignalType.RSI_OVERSOLD: "RSI oversold",
        SignalType.VOLUME_SPIKE: "Volume spike",
        SignalType.BB_UPPER_BREAK: "Upper Bollinger band break",
        SignalType.BB_LOWER_BREAK: "Lower Bollinger band break",
        SignalType.BB_SQUEEZE_BREAKOUT: "Bollinger squeeze breakout",
        SignalType.HIGH_52W: "New 52-week high",
        SignalType.LOW_52W: "New 52-week low",
        SignalType.HEAD_AND_SHOULDERS: "Head and shoulders",
        SignalType.INVERSE_HEAD_AND_SHOULDERS: "Inverse head and shoulders",
        SignalType.DOUBLE_TOP: "Double top",
        SignalType.DOUBLE_BOTTOM: "Double bottom",
    },
    "ko": {
        SignalType.BREAKOUT_200: "200일선 상향 돌파",
        SignalType.BREAKDOWN_200: "200일선 하향 이탈",
        SignalType.GOLDEN_CROSS: "골든 크로스",
        SignalType.DEATH_CROSS: "데드 크로스",
        SignalType.RSI_OVERBOUGHT: "RSI 과매수",
        SignalType.RSI_OVERSOLD: "RSI 과매도",
        SignalType.VOLUME_SPIKE: "거래량 급증",
        SignalType.BB_UPPER_BREAK: "볼린저 밴드 상단 돌파",
        SignalType.BB_LOWER_BREAK: "볼린저 밴드 하단 이탈",
        SignalType.BB_SQUEEZE_BREAKOUT: "볼린저 스퀴즈 돌파",
        SignalType.HIGH_52W: "52주 신고가",
        SignalType.LOW_52W: "52주 신저가",
        SignalType.HEAD_AND_SHOULDERS: "헤드 앤 숄더",
        SignalType.INVERSE_HEAD_AND_SHOULDERS: "역헤드 앤 숄더",
        SignalType.DOUBLE_TOP: "쌍봉 (더블 톱)",
        SignalType.DOUBLE_BOTTOM: "쌍바닥 (더블 바텀)",
    },
}

# The city whose clock a market's sessions keep, as people name it.
CITY_NAMES: dict[str, dict[Market, str]] = {
    "en": {
        Market.US: "New York",
        Market.XETRA: "Frankfurt",
        Market.KRX: "Seoul",
        Market.KETS: "Seoul",
        Market.EEX: "Leipzig",
        Market.OTHER: "UTC",
    },
    "ko": {
        Market.US: "뉴욕",
        Market.XETRA: "프랑크푸르트",
        Market.KRX: "서울",
        Market.KETS: "서울",
        Market.EEX: "라이프치히",
        Market.OTHER: "UTC",
    },
}

# Decimals a market's prices are quoted with, by currency (KRW and JPY trade in whole units).
CURRENCY_DECIMALS: dict[str, int] = {"KRW": 0, "JPY": 0}


def signal_label(signal: SignalType, lang: str = "en") -> str:
    """'Golden cross' / '골든 크로스'."""
    return SIGNAL_NAMES["ko" if lang == "ko" else "en"][signal]


def price_decimals(currency: str) -> int:
    """2 for USD/EUR, 0 for KRW."""
    return CURRENCY_DECIMALS.get(currency.upper(), 2)


# Told once to each chat whose bare KAU/KCU watch moved to the new front vintage.
FRONT_ROLL_NOTICE: dict[str, str] = {
    "en": (
        "<b>{alias}</b> now follows <b>{new}</b>, the front vintage ({old} before). "
        "Your {alias} alerts, /price {alias} and /chart {alias} use {new} from now on."
    ),
    "ko": (
        "<b>{alias}</b>는 이제 최근월물 <b>{new}</b>을(를) 따릅니다 (이전 {old}). "
        "{alias} 알림, /price {alias}, /chart {alias} 모두 지금부터 {new} 기준입니다."
    ),
}


def front_roll_notice(lang: str, alias: str, old: str, new: str) -> str:
    """'KAU now follows KAU26 …' in the chat's language (symbols are our own: no escaping needed)."""
    return FRONT_ROLL_NOTICE["ko" if lang == "ko" else "en"].format(alias=alias, old=old, new=new)


# One marker shape and colour per signal type, for every chart (the /chart candles and the backtest).
SIGNAL_MARKERS: dict[SignalType, tuple[str, str]] = {
    SignalType.BREAKOUT_200: ("^", "#2e7d32"),
    SignalType.BREAKDOWN_200: ("v", "#c62828"),
    SignalType.GOLDEN_CROSS: ("*", "#f9a825"),
    SignalType.DEATH_CROSS: ("X", "#4a148c"),
    SignalType.RSI_OVERBOUGHT: ("D", "#d81b60"),
    SignalType.RSI_OVERSOLD: ("d", "#00838f"),
    SignalType.VOLUME_SPIKE: ("o", "#616161"),
    SignalType.BB_UPPER_BREAK: (">", "#1565c0"),
    SignalType.BB_LOWER_BREAK: ("<", "#ef6c00"),
    SignalType.BB_SQUEEZE_BREAKOUT: ("P", "#6a1b9a"),
    SignalType.HIGH_52W: ("p", "#1b5e20"),
    SignalType.LOW_52W: ("8", "#b71c1c"),
    SignalType.HEAD_AND_SHOULDERS: ("s", "#b71c1c"),
    SignalType.INVERSE_HEAD_AND_SHOULDERS: ("H", "#1b5e20"),
    SignalType.DOUBLE_TOP: ("$M$", "#ad1457"),  # the shape of the pattern
    SignalType.DOUBLE_BOTTOM: ("$W$", "#2e7d32"),
}
