"""The alert a person reads: the signal in words, the price with its currency, the indicator values
that explain it under human names, the track record in one line, the bar's time. Pure rendering."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache

from bot.i18n import signal_name, t
from bot.views import (
    Buttons,
    Reply,
    Windows,
    bar_time,
    callback,
    esc,
    fit,
    money,
    rating_line,
    volume_text,
)
from core.types import PRICE_SIGNALS, Instrument, Interval, Language, Rating, SignalEvent, SignalType

_ARROW = {1: "▲", -1: "▼", 0: "●"}
_MINUTES = {Interval.M1: 1, Interval.M5: 5, Interval.M15: 15}
_MINUTES_BY_NAME = {str(k): v for k, v in _MINUTES.items()}


def timeframe(lang: Language, interval: Interval | str) -> str:
    """'5-minute bars' / '5분봉' for an intraday interval, 'daily' / '일봉' otherwise."""
    n = _MINUTES_BY_NAME.get(str(interval))
    return t(lang, "timeframe", n=n) if n else t(lang, "daily")


def rating_key(event: SignalEvent) -> str:
    """Where the event's track record is kept: daily ratings under the symbol, ratings on minute bars
    under 'SYMBOL@5m' (see `scheduler.intraday`)."""
    return event.symbol if event.interval == Interval.D1 else f"{event.symbol}@{event.interval}"


def intraday_rating_line(lang: Language, interval: Interval, rating: Rating | None) -> str:
    """The track record of a signal on minute bars (horizons in bars), or an honest 'no rating yet'."""
    tf = timeframe(lang, interval)
    if rating is None or rating.hit_rate is None or rating.grade == "insufficient data":
        return t(lang, "intraday_rating_none", tf=tf)
    return t(lang, "intraday_rating", h=rating.horizon, pct=round(rating.hit_rate * 100), tf=tf,
             n=rating.count, grade=rating.grade)  # fmt: skip


def _pct(a: float, b: float) -> str:
    return f"{(a / b - 1.0) * 100.0:+.2f}%"


def explain(lang: Language, event: SignalEvent, currency: str, w: Windows) -> str:
    """The line that says why the signal fired, with the values behind it."""
    v: Mapping[str, float] = event.values
    fast, slow, rsi = v.get("sma_fast"), v.get("sma_slow"), v.get("rsi")
    s = event.signal
    bars = "_bars" if event.interval in _MINUTES else ""  # windows count bars, not days

    def p(x: float) -> str:
        return money(x, currency, unit=False)

    if s in (SignalType.BREAKOUT_200, SignalType.BREAKDOWN_200) and slow:
        key = "why_breakout" if s is SignalType.BREAKOUT_200 else "why_breakdown"
        key += bars
        return t(lang, key, n=w.sma_slow, sma=p(slow), diff=_pct(event.close, slow))
    if s in (SignalType.GOLDEN_CROSS, SignalType.DEATH_CROSS) and fast and slow:
        key = "why_golden" if s is SignalType.GOLDEN_CROSS else "why_death"
        key += bars
        return t(lang, key, f=w.sma_fast, s=w.sma_slow, fast=p(fast), slow=p(slow), diff=_pct(fast, slow))
    if s in (SignalType.RSI_OVERBOUGHT, SignalType.RSI_OVERSOLD) and rsi is not None:
        over = s is SignalType.RSI_OVERBOUGHT
        level = w.rsi_overbought if over else w.rsi_oversold
        key = "why_overbought" if over else "why_oversold"
        return t(lang, key, n=w.rsi_period, rsi=f"{rsi:.1f}", level=f"{level:g}")
    if s in _EXTRA:
        return _explain_extra(lang, event, p, w)
    volume, base = v.get("volume"), v.get("vol_base")
    if s is SignalType.VOLUME_SPIKE and volume is not None and base:
        return t(
            lang,
            "why_volume" + bars,
            volume=volume_text(lang, volume),
            multiple=f"{volume / base:.1f}",
            n=w.volume_window,
            avg=volume_text(lang, base),
        )
    if s in (SignalType.FOREIGN_BUY_STREAK, SignalType.SMART_MONEY_BUY):
        return _explain_flows(lang, event)
    return ""


_EXTRA = frozenset(PRICE_SIGNALS[7:])  # Bollinger, 52-week, patterns
_TOPS = frozenset({SignalType.HEAD_AND_SHOULDERS, SignalType.DOUBLE_TOP})
_BOTTOMS = frozenset({SignalType.INVERSE_HEAD_AND_SHOULDERS, SignalType.DOUBLE_BOTTOM})


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


def _explain_extra(lang: Language, event: SignalEvent, p: Callable[[float], str], w: Windows) -> str:
    """Why a Bollinger, 52-week or chart-pattern signal fired."""
    v, s, c = event.values, event.signal, event.close
    up, lo = v.get("bb_upper"), v.get("bb_lower")
    if s in (SignalType.BB_UPPER_BREAK, SignalType.BB_LOWER_BREAK) and up and lo:
        band = up if s is SignalType.BB_UPPER_BREAK else lo
        key = "why_bb_upper" if s is SignalType.BB_UPPER_BREAK else "why_bb_lower"
        return t(lang, key, n=w.bb_period, k=f"{w.bb_stddev:g}", band=p(band), diff=_pct(c, band))
    if s is SignalType.BB_SQUEEZE_BREAKOUT and up and lo:
        band, key = (up, "why_bb_squeeze_up") if c > up else (lo, "why_bb_squeeze_down")
        return t(lang, key, m=w.bb_squeeze_window, band=p(band), diff=_pct(c, band))
    level = v.get("high_52w" if s is SignalType.HIGH_52W else "low_52w")
    if s in (SignalType.HIGH_52W, SignalType.LOW_52W) and level:
        key = "why_high_52w" if s is SignalType.HIGH_52W else "why_low_52w"
        return t(lang, key, level=p(level), diff=_pct(c, level))
    neck, target, first = v.get("neckline"), v.get("target"), v.get("p1_t")
    last = v.get("p5_t", v.get("p3_t"))
    if (s in _TOPS or s in _BOTTOMS) and neck and target and first and last:
        key = "why_pattern_top" if s in _TOPS else "why_pattern_bottom"
        return t(lang, key, neck=p(neck), start=_day(first), end=_day(last), target=p(target),
                 diff=_pct(target, c))  # fmt: skip
    return ""


def krw(lang: Language, value: float) -> str:
    """Signed net buying in 억원 (Korean) or KRW billions (English), as /investors shows it."""
    if lang == Language.KO:
        return f"{value / 1e8:+,.1f}억원"
    return f"KRW {value / 1e9:+,.1f}bn"


def _explain_flows(lang: Language, event: SignalEvent) -> str:
    v = event.values
    foreign, inst = v.get("foreign_value"), v.get("institution_value")
    if foreign is None:
        return ""
    if event.signal is SignalType.FOREIGN_BUY_STREAK:
        run = int(v.get("streak", event.strength))
        return t(lang, "why_foreign_streak", n=run, foreign=krw(lang, foreign))
    if inst is None:
        return ""
    return t(lang, "why_smart_money", foreign=krw(lang, foreign), inst=krw(lang, inst))


def render_alert(
    lang: Language,
    event: SignalEvent,
    inst: Instrument | None,
    rating: Rating | None,
    *,
    windows: Windows = Windows(),
) -> Reply:
    """The alert for one event in one chat, with mute/unwatch buttons."""
    currency = inst.currency if inst else ""
    intraday = event.interval in _MINUTES
    signal, mute = _signal_words(lang, event.signal, intraday)
    title = t(
        lang,
        "alert_title",
        arrow=_ARROW[event.signal.direction],
        signal=signal,
        symbol=esc(event.symbol),
        name=esc(inst.name if inst and inst.name != event.symbol else ""),
    )
    when = bar_time(lang, event.ts, event.interval, inst)
    title = title.replace("  ", " ").rstrip()
    if intraday:  # the timeframe is named: a 5-minute golden cross is not a daily one
        title += f" · <b>{timeframe(lang, event.interval)}</b>"
    lines = [title, f"{t(lang, 'close')} {money(event.close, currency)} · {when}"]
    why = explain(lang, event, currency, windows)
    if why:
        lines.append(esc(why, 300))
    if intraday:
        lines.append(esc(intraday_rating_line(lang, Interval(event.interval), rating), 300))
    elif rating is not None:
        lines.append(rating_line(lang, rating))
    buttons: Buttons = (
        (
            (mute, callback("m", event.symbol, event.signal)),
            (t(lang, "btn_unwatch", symbol=event.symbol), callback("u", event.symbol)),
        ),
    )
    return Reply(fit(lines), buttons)


@lru_cache(maxsize=256)  # a close renders thousands of alerts of a few signals (bench/README.md, "Stop 38")
def _signal_words(lang: Language, signal: SignalType, intraday: bool) -> tuple[str, str]:
    """The signal's name as the title shows it (escaped), and the mute button's label."""
    name = signal_name(lang, signal)
    title = name.replace("일선", "봉선") if intraday else name  # '200일선' is a daily term: bars count
    return esc(title), t(lang, "btn_mute", signal=name)
