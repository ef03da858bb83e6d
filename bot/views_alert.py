"""The alert a person reads: the signal in words, the price with its currency, the indicator values
that explain it under human names, the track record in one line, the bar's time. Pure rendering."""

from __future__ import annotations

from collections.abc import Mapping

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
from core.types import Instrument, Language, Rating, SignalEvent, SignalType

_ARROW = {1: "▲", -1: "▼", 0: "●"}


def _pct(a: float, b: float) -> str:
    return f"{(a / b - 1.0) * 100.0:+.2f}%"


def explain(lang: Language, event: SignalEvent, currency: str, w: Windows) -> str:
    """The line that says why the signal fired, with the values behind it."""
    v: Mapping[str, float] = event.values
    fast, slow, rsi = v.get("sma_fast"), v.get("sma_slow"), v.get("rsi")
    s = event.signal

    def p(x: float) -> str:
        return money(x, currency, unit=False)

    if s in (SignalType.BREAKOUT_200, SignalType.BREAKDOWN_200) and slow:
        key = "why_breakout" if s is SignalType.BREAKOUT_200 else "why_breakdown"
        return t(lang, key, n=w.sma_slow, sma=p(slow), diff=_pct(event.close, slow))
    if s in (SignalType.GOLDEN_CROSS, SignalType.DEATH_CROSS) and fast and slow:
        key = "why_golden" if s is SignalType.GOLDEN_CROSS else "why_death"
        return t(lang, key, f=w.sma_fast, s=w.sma_slow, fast=p(fast), slow=p(slow), diff=_pct(fast, slow))
    if s in (SignalType.RSI_OVERBOUGHT, SignalType.RSI_OVERSOLD) and rsi is not None:
        over = s is SignalType.RSI_OVERBOUGHT
        level = w.rsi_overbought if over else w.rsi_oversold
        key = "why_overbought" if over else "why_oversold"
        return t(lang, key, n=w.rsi_period, rsi=f"{rsi:.1f}", level=f"{level:g}")
    volume, base = v.get("volume"), v.get("vol_base")
    if s is SignalType.VOLUME_SPIKE and volume is not None and base:
        return t(
            lang,
            "why_volume",
            volume=volume_text(lang, volume),
            multiple=f"{volume / base:.1f}",
            n=w.volume_window,
            avg=volume_text(lang, base),
        )
    if s in (SignalType.FOREIGN_BUY_STREAK, SignalType.SMART_MONEY_BUY):
        return _explain_flows(lang, event)
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
    title = t(
        lang,
        "alert_title",
        arrow=_ARROW[event.signal.direction],
        signal=esc(signal_name(lang, event.signal)),
        symbol=esc(event.symbol),
        name=esc(inst.name if inst and inst.name != event.symbol else ""),
    )
    when = bar_time(lang, event.ts, event.interval, inst)
    lines = [title.replace("  ", " ").rstrip(), f"{t(lang, 'close')} {money(event.close, currency)} · {when}"]
    why = explain(lang, event, currency, windows)
    if why:
        lines.append(esc(why, 300))
    if rating is not None:
        lines.append(rating_line(lang, rating))
    buttons: Buttons = (
        (
            (
                t(lang, "btn_mute", signal=signal_name(lang, event.signal)),
                callback("m", event.symbol, event.signal),
            ),
            (t(lang, "btn_unwatch", symbol=event.symbol), callback("u", event.symbol)),
        ),
    )
    return Reply(fit(lines), buttons)
