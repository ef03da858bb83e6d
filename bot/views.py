"""Pure rendering: domain data in, Telegram HTML (every outside string escaped) out. No I/O."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from backtest.rating import rating_line as backtest_rating_line
from bot.i18n import signal_name, t
from core.labels import CITY_NAMES, price_decimals
from core.timeutil import KST, ensure_utc, fmt_bar, fmt_kst
from core.types import (
    Chat,
    Instrument,
    Interval,
    Language,
    Market,
    NewsItem,
    Quote,
    Rating,
    SignalEvent,
    SignalType,
    Watch,
)

MAX_MESSAGE = 4096
MAX_CAPTION = 1024
MAX_ARG = 40  # longest outside string echoed back in a reply

Buttons = tuple[tuple[tuple[str, str], ...], ...]  # rows of (label, callback_data)


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command answers: HTML text, optional inline buttons, optional PNG photo."""

    text: str
    buttons: Buttons = ()
    photo: bytes | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def esc(value: object, limit: int = 200) -> str:
    """Escape an outside string for HTML, cut to `limit` characters first."""
    s = str(value)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return html.escape(s, quote=False)


def fit(lines: Iterable[str], limit: int = MAX_MESSAGE) -> str:
    """Join lines, dropping whole lines at the end so the result stays within `limit` characters."""
    lines = list(lines)
    joined = "\n".join(lines)
    if len(joined) + 1 <= limit - 2:  # all of it fits (the common case)
        return joined
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit - 2:
            out.append("…")
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


_TAG = re.compile(r"<[^>]+>")


def to_plain(text: str) -> str:
    """HTML message -> plain text (console mode)."""
    return html.unescape(_TAG.sub("", text))


def num(value: float | None, digits: int = 2) -> str:
    """Readable figures: 1,234.56; whole numbers and anything from 100,000 up without decimals
    (KRW prices, volumes: 9,150 and 90,673,494, not 9,150.00 and 90,673,494.00)."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        whole = abs(value) >= 100_000 or value == round(value)
        return f"{value:,.0f}" if whole else f"{value:,.{digits}f}"
    return f"{value:.{digits}f}" if abs(value) >= 1 or value == 0 else f"{value:.4g}"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}%"


def callback(*parts: str) -> str:
    """Build callback_data; Telegram allows at most 64 bytes."""
    data = "|".join(parts)
    if len(data.encode()) > 64:
        raise ValueError("callback_data over 64 bytes")
    return data


def keyboard_json(buttons: Buttons) -> dict[str, Any] | None:
    """Bot API JSON of an InlineKeyboardMarkup (stored in the outbox)."""
    if not buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in row] for row in buttons
        ]
    }


def usage(lang: Language, text: str) -> Reply:
    return Reply(t(lang, "usage", usage=esc(text)))


def unknown_symbol(lang: Language, symbol: str, suggestions: Sequence[str] = ()) -> Reply:
    msg = t(lang, "unknown_symbol", symbol=esc(symbol, MAX_ARG))
    if suggestions:
        msg += t(lang, "did_you_mean", suggestions=", ".join(esc(s, MAX_ARG) for s in suggestions[:5]))
    return Reply(msg)


def signal_list(lang: Language, signals: Iterable[SignalType]) -> str:
    names = [signal_name(lang, s) for s in SignalType if s in set(signals)]
    return ", ".join(names) if names else t(lang, "none")


@dataclass(frozen=True, slots=True)
class Windows:
    """The indicator settings the alert names (SMA 50, SMA 200, RSI 14, 20-day volume average)."""

    sma_fast: int = 50
    sma_slow: int = 200
    rsi_period: int = 14
    volume_window: int = 20
    rsi_overbought: float = 70.0
    rsi_oversold: float = 30.0
    bb_period: int = 20
    bb_stddev: float = 2.0
    bb_squeeze_window: int = 125

    @classmethod
    def of(cls, settings: object) -> Windows:
        """From the signal settings (any object with the same attribute names)."""
        return cls(**{k: getattr(settings, k) for k in cls.__dataclass_fields__ if hasattr(settings, k)})


def volume_text(lang: Language, value: float) -> str:
    """2.4M / 780K in English; 240만 / 1.2억 in Korean."""
    v = abs(value)
    if lang is Language.KO:
        for size, unit in ((1e8, "억"), (1e4, "만")):
            if v >= size:
                return f"{value / size:,.{0 if v >= size * 100 else 1}f}{unit}".replace(".0" + unit, unit)
        return f"{value:,.0f}"
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= size:
            return f"{value / size:,.{0 if v >= size * 100 else 1}f}{unit}".replace(".0" + unit, unit)
    return f"{value:,.0f}"


def money(value: float | None, currency: str, *, unit: bool = True, signed: bool = False) -> str:
    """A price the way its market quotes it: ``70.45 EUR``, ``78,300 KRW``; ``+1.60`` / ``-500`` with
    `signed` (changes); below 1, four significant figures."""
    if value is None:
        return "-"
    d, suffix = _currency(currency)
    sign = "+" if signed and value > 0 else ""
    text = f"{value:.4g}" if 0 < abs(value) < 1 and d else f"{value:,.{d}f}"
    return f"{sign}{text}{suffix}" if unit and currency else f"{sign}{text}"


@lru_cache(maxsize=64)  # a few currencies, thousands of prices in one close's alerts
def _currency(currency: str) -> tuple[int, str]:
    """Decimals and the ' EUR' after a price."""
    return price_decimals(currency), f" {esc(currency, 8)}"


def bar_time(lang: Language, ts: datetime, interval: Interval | str, inst: Instrument | None) -> str:
    """A bar's time by its session date and close in the market's clock, KST beside (see core.timeutil)."""
    market = inst.market if inst else Market.OTHER
    tz = inst.timezone if inst else "UTC"
    city = CITY_NAMES[lang.value][market]
    return fmt_bar(ts, str(interval), market, tz, city=city, close_word=t(lang, "close_at"))


def moment(lang: Language, ts: datetime, inst: Instrument | None) -> str:
    """A moment (a live quote's time): in the market's clock with KST beside, or KST alone for Korea."""
    k = ensure_utc(ts).astimezone(KST)
    if inst is None or inst.timezone == "Asia/Seoul":
        return f"{k:%Y-%m-%d %H:%M} KST"
    local = k.astimezone(ZoneInfo(inst.timezone))
    return f"{local:%Y-%m-%d %H:%M} {CITY_NAMES[lang.value][inst.market]} · {k:%m-%d %H:%M} KST"


def render_price(lang: Language, inst: Instrument, q: Quote, age_s: float, *, halted: bool = False) -> Reply:
    """The /price answer (a halted KRX stock says so under the title)."""
    cur = inst.currency
    lines = [
        t(lang, "price_title", symbol=esc(inst.symbol), name=esc(inst.name)),
        f"{money(q.price, cur)}  {money(q.change, cur, unit=False, signed=True)} ({pct(q.change_pct)})",
    ]
    if halted:
        lines.append(t(lang, "listing_halted"))
    if q.day_low is not None or q.day_high is not None:
        lines.append(f"{t(lang, 'day_range')} {money(q.day_low, cur, unit=False)} - {money(q.day_high, cur)}")
    if q.low_52w is not None or q.high_52w is not None:
        lines.append(f"{t(lang, 'range_52w')} {money(q.low_52w, cur, unit=False)} - {money(q.high_52w, cur)}")
    if q.sma200:
        lines.append(f"SMA 200 {money(q.sma200, cur, unit=False)} ({pct((q.price / q.sma200 - 1) * 100)})")
    if q.rsi14 is not None:
        lines.append(f"RSI 14 {num(q.rsi14, 1)}")
    if q.source.startswith("stored:"):
        origin = t(lang, "stored_close", source=esc(q.source.removeprefix("stored:"), 30))
        when = bar_time(lang, q.ts, Interval.D1, inst)
    else:
        origin = t(lang, "cached", source=esc(q.source, 30), age=_age(age_s))
        when = moment(lang, q.ts, inst)
    lines.append(f"{when} · {origin}")
    return Reply(fit(lines))


def _age(seconds: float) -> str:
    """45s, 12m, 3h, 2d."""
    s = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"


def rating_line(lang: Language, r: Rating) -> str:
    """'20-day hit rate 64% over 10y (n=11), grade B' (backtest's wording, in the chat's language)."""
    return esc(backtest_rating_line(r, lang), 300)  # a Language is the str 'en' / 'ko' itself


def pick_rating(ratings: Iterable[Rating], signal: SignalType, horizon: int = 20) -> Rating | None:
    """The rating of `signal`, preferring `horizon` days, else the shortest horizon available."""
    matching = sorted(
        (r for r in ratings if r.signal == signal), key=lambda r: (r.horizon != horizon, r.horizon)
    )
    return matching[0] if matching else None


def timeframe_list(lang: Language, intervals: frozenset[Interval]) -> str:
    """'1d, 5m' (daily first): a watch's timeframes in the watchlist."""
    order = (Interval.D1, Interval.M1, Interval.M5, Interval.M15)
    return ", ".join(str(i) for i in order if i in intervals)


def render_watchlist(
    lang: Language, watches: Sequence[Watch], limit: int, follows: Mapping[str, str] | None = None
) -> Reply:
    """The watchlist; `follows` (vintage -> alias) marks watches that move with the front vintage."""
    if not watches:
        return Reply(t(lang, "watchlist_empty"))
    lines = [t(lang, "watchlist_title", count=len(watches), limit=limit)]
    rows: list[tuple[tuple[str, str], ...]] = []
    for w in watches:
        muted = f" ({t(lang, 'muted_label')}: {signal_list(lang, w.muted)})" if w.muted else ""
        alias = f" ({esc((follows or {})[w.symbol])})" if w.symbol in (follows or {}) else ""
        tf = "" if w.intervals == {Interval.D1} else f" [{timeframe_list(lang, w.intervals)}]"
        lines.append(f"• <b>{esc(w.symbol)}</b>{alias}{tf}: {signal_list(lang, w.signals)}{muted}")
        toggle = t(lang, "btn_unmute_all" if w.muted >= w.signals else "btn_mute_all", symbol=w.symbol)
        rows.append(
            (
                (t(lang, "btn_unwatch", symbol=w.symbol), callback("wu", w.symbol)),
                (toggle, callback("wm", w.symbol)),
            )
        )
    return Reply(fit(lines), tuple(rows[:50]))


_SNAP_KEY = re.compile(r"^(sma|rsi|vol_avg)_?(\d+)$")


def snapshot_line(lang: Language, snap: Mapping[str, float | None], currency: str) -> str:
    """{close, sma50, sma200, rsi14, volume, vol_avg20} -> 'Close 70.45 EUR · SMA 50 68.90 · SMA 200 68.10
    · RSI 14 55.2 · Volume 1.2M (1.3× 20-day avg)' (windows read from the keys)."""
    parts: list[str] = []
    if snap.get("close") is not None:
        parts.append(f"{t(lang, 'close')} {money(snap['close'], currency)}")
    found = {m[1]: (int(m[2]), v) for k, v in snap.items() if (m := _SNAP_KEY.match(k)) and v is not None}
    smas = sorted((int(m[2]), v) for k, v in snap.items() if (m := _SNAP_KEY.match(k)) and m[1] == "sma")
    parts.extend(f"SMA {n} {money(v, currency, unit=False)}" for n, v in smas if v is not None)
    if "rsi" in found:
        parts.append(f"RSI {found['rsi'][0]} {num(found['rsi'][1], 1)}")
    volume = snap.get("volume")
    if volume is not None:
        text = f"{t(lang, 'volume')} {volume_text(lang, volume)}"
        if "vol_avg" in found and found["vol_avg"][1]:
            n, avg = found["vol_avg"]
            text += " " + t(lang, "volume_vs_avg", multiple=f"{volume / avg:.1f}", n=n)
        parts.append(text)
    return " · ".join(parts)


def render_signals(
    lang: Language,
    inst: Instrument,
    snapshot: Mapping[str, float | None],
    events: Sequence[SignalEvent],
    ratings: Sequence[Rating],
) -> Reply:
    cur = inst.currency
    lines = [t(lang, "signals_title", symbol=esc(inst.symbol)) + f" {esc(inst.name)}"]
    lines.append(snapshot_line(lang, snapshot, cur))
    lines.append(t(lang, "recent_events"))
    if events:
        lines.extend(
            f"• {ensure_utc(e.ts):%Y-%m-%d} {esc(signal_name(lang, e.signal))} @ {money(e.close, cur)}"
            for e in events[:10]
        )
    else:
        lines.append(t(lang, "no_events"))
    lines.append(t(lang, "ratings"))
    if ratings:
        for r in sorted(ratings, key=lambda r: (list(SignalType).index(r.signal), r.horizon)):
            lines.append(f"• {esc(signal_name(lang, r.signal))}: {rating_line(lang, r)}")
    else:
        lines.append(t(lang, "no_ratings"))
    return Reply(fit(lines))


def render_settings(lang: Language, chat: Chat) -> Reply:
    if chat.quiet_start is None or chat.quiet_end is None:
        quiet = t(lang, "quiet_off")
    else:
        quiet = f"{chat.quiet_start:02d}:00-{chat.quiet_end:02d}:00 ({esc(chat.timezone)}), {chat.quiet_mode}"
    text = t(
        lang,
        "settings",
        signals=signal_list(lang, chat.signals),
        quiet=quiet,
        silent=t(lang, "on" if chat.silent else "off"),
        news=t(lang, "on" if chat.news_alerts else "off"),
        language=chat.language.value,
        tier=chat.tier.value,
    )
    toggle = ("btn_news_off", "ns|off") if chat.news_alerts else ("btn_news_on", "ns|on")
    return Reply(text, buttons=(((t(lang, toggle[0]), toggle[1]),),))


def render_news_alert(lang: Language, item: NewsItem, symbol: str) -> Reply:
    """One news alert: the matched symbol, source, time in KST, the linked title, a short summary,
    and a button to turn news alerts off."""
    url = html.escape(item.url[:500], quote=True)
    lines = [
        t(
            lang,
            "news_alert_title",
            symbol=esc(symbol, MAX_ARG),
            source=esc(item.source, 40),
            when=fmt_kst(item.published),
        ),
        f'<a href="{url}">{esc(item.title, 300)}</a>',
    ]
    if item.summary:
        lines.append(esc(item.summary, 300))
    return Reply(fit(lines), buttons=(((t(lang, "btn_news_off"), "na|off"),),))


def render_news(lang: Language, items: Sequence[NewsItem]) -> Reply:
    if not items:
        return Reply(t(lang, "news_empty"))
    lines = []
    for n in items[:10]:
        url = html.escape(n.url[:500], quote=True)
        lines.append(
            f'• <a href="{url}">{esc(n.title, 250)}</a> · {esc(n.source, 40)} · {fmt_kst(n.published)}'
        )
    return Reply(fit(lines))


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")


def _status_value(value: object) -> str:
    """A report value, with every ISO time (UTC or KST offsets alike) in one form: '2026-12-01 06:00 KST'."""
    if isinstance(value, datetime):
        return fmt_kst(value)
    if isinstance(value, str) and _ISO.match(value):
        return fmt_kst(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return str(value)


def _status_row(row: object) -> str:
    """One job or source as a compact line: its name first, then the non-empty fields."""
    if not isinstance(row, Mapping):
        return esc(row, 200)
    items = [(k, v) for k, v in row.items() if v not in (None, "", [], {})]
    if not items:
        return "-"
    (_, name), rest = items[0], items[1:]
    return f"{esc(name, 40)}: " + ", ".join(f"{esc(k, 30)} {esc(_status_value(v), 80)}" for k, v in rest)


def render_status(lang: Language, report: Mapping[str, Any]) -> Reply:
    lines = [t(lang, "status_title")]
    for key, value in report.items():
        if isinstance(value, Mapping):
            lines.append(f"<b>{esc(key, 40)}</b>")
            lines.extend(f"  {esc(k, 60)}: {esc(_status_value(v), 200)}" for k, v in value.items())
        elif isinstance(value, list | tuple):
            lines.append(f"<b>{esc(key, 40)}</b>" + ("" if value else ": -"))
            lines.extend(f"  {_status_row(v)}" for v in value)
        else:
            lines.append(f"{esc(key, 40)}: {esc(_status_value(value), 200)}")
    return Reply(fit(lines))
