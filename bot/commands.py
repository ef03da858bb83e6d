"""Command logic, free of Telegram: a `Request` in, a `views.Reply` out. Used by the Telegram handlers
and by the console alike (freqtrade's rpc/telegram split)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial

from bot import intraday, timeframes, views
from bot.i18n import signal_name, t
from bot.services import BotServices
from bot.views import MAX_ARG, Reply, esc
from bot.watch_combos import combo_args, combos_watched, confirmed_combos, with_combo_lines, with_combos
from core.errors import FinsignalError, SymbolError
from core.labels import CITY_NAMES
from core.settings import Settings
from core.timeutil import Clock, SystemClock
from core.types import (
    ALL_SIGNALS,
    FLOW_SIGNALS,
    Chat,
    Instrument,
    Interval,
    Language,
    ListingStatus,
    Market,
    QuietMode,
    SignalType,
    Tier,
    Watch,
)
from market import vintage

logger = logging.getLogger(__name__)

SYMBOL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-=^_]{0,31}$")
DOLLAR_RE = re.compile(r"\$([A-Za-z0-9][A-Za-z0-9.\-=^_]{0,31})")
PERIODS = {"3m": 92, "6m": 183, "1y": 366, "5y": 1830}
SIGNAL_ALIASES: dict[str, frozenset[SignalType]] = {
    "all": ALL_SIGNALS,
    "sma200": frozenset({SignalType.BREAKOUT_200, SignalType.BREAKDOWN_200}),
    "cross": frozenset({SignalType.GOLDEN_CROSS, SignalType.DEATH_CROSS}),
    "golden": frozenset({SignalType.GOLDEN_CROSS}),
    "death": frozenset({SignalType.DEATH_CROSS}),
    "rsi": frozenset({SignalType.RSI_OVERBOUGHT, SignalType.RSI_OVERSOLD}),
    "volume": frozenset({SignalType.VOLUME_SPIKE}),
    "bollinger": frozenset(
        {SignalType.BB_UPPER_BREAK, SignalType.BB_LOWER_BREAK, SignalType.BB_SQUEEZE_BREAKOUT}
    ),
    "52w": frozenset({SignalType.HIGH_52W, SignalType.LOW_52W}),
    "patterns": frozenset(
        {
            SignalType.HEAD_AND_SHOULDERS,
            SignalType.INVERSE_HEAD_AND_SHOULDERS,
            SignalType.DOUBLE_TOP,
            SignalType.DOUBLE_BOTTOM,
        }
    ),
}


@dataclass(frozen=True, slots=True)
class Env:
    """What command logic runs against."""

    services: BotServices
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)


@dataclass(frozen=True, slots=True)
class Request:
    """One command from one chat. `can_manage`: may change this chat's watchlist and settings."""

    chat: Chat
    args: tuple[str, ...] = ()
    text: str = ""  # everything after the command, as typed
    user_id: int | None = None
    is_admin: bool = False
    can_manage: bool = True
    message_id: int = 0

    @property
    def lang(self) -> Language:
        return self.chat.language


Command = Callable[[Env, Request], Awaitable[Reply]]


def _can_fire(
    signals: frozenset[SignalType], inst: Instrument, intervals: frozenset[Interval]
) -> frozenset[SignalType]:
    """The watched types that can fire for `inst`: the investor-flow signals only for a Korean stock
    on daily bars (what a watch of "all" means elsewhere); as asked when nothing else is left."""
    if inst.market is Market.KRX and Interval.D1 in intervals:
        return signals
    return (signals - frozenset(FLOW_SIGNALS)) or signals


def _watched_types(
    lang: Language, signals: frozenset[SignalType], inst: Instrument, intervals: frozenset[Interval]
) -> str:
    """The types a watch reply names: "every signal type (16)" for a watch of all of them."""
    shown = _can_fire(signals, inst, intervals)
    if signals == ALL_SIGNALS:
        return t(lang, "all_types", n=len(shown))
    return views.signal_list(lang, shown)


def watch_limit(env: Env, chat: Chat) -> int:
    s = env.settings
    return s.watchlist_limit_premium if chat.tier is Tier.PREMIUM else s.watchlist_limit_free


def parse_signals(words: list[str]) -> frozenset[SignalType] | str:
    """Signal types from words like 'golden_cross,rsi' -> the set, or the first unknown word."""
    result: set[SignalType] = set()
    for word in (w.strip().lower() for part in words for w in part.split(",")):
        if not word:
            continue
        if word in SIGNAL_ALIASES:
            result |= SIGNAL_ALIASES[word]
        elif word in SignalType._value2member_map_:
            result.add(SignalType(word))
        else:
            return word
    return frozenset(result) if result else ALL_SIGNALS


def _known_signals() -> str:
    return ", ".join([*SIGNAL_ALIASES, *(s.value for s in SignalType)])


async def resolve(env: Env, req: Request, raw: str, *, verify: bool = False) -> Instrument | Reply:
    """The instrument for `raw`, or the reply explaining why not. `verify`: ask the data source
    about symbols not yet known (used where a wrong symbol would otherwise pass silently)."""
    if not SYMBOL_RE.match(raw):
        return views.unknown_symbol(req.lang, raw)
    try:
        return await env.services.resolver.resolve(raw, verify=verify)
    except SymbolError as exc:
        return views.unknown_symbol(req.lang, raw, exc.suggestions)
    except FinsignalError as exc:
        logger.warning("resolve %s failed: %s", raw[:MAX_ARG], exc)
        return Reply(t(req.lang, "quote_unavailable", symbol=esc(raw, MAX_ARG)))


async def cmd_start(env: Env, req: Request) -> Reply:
    return Reply(t(req.lang, "start"))


async def cmd_help(env: Env, req: Request) -> Reply:
    text = t(req.lang, "help")
    if req.is_admin:
        text += t(req.lang, "help_admin")
    return Reply(text)


async def cmd_lang(env: Env, req: Request) -> Reply:
    if len(req.args) != 1 or req.args[0].lower() not in ("ko", "en"):
        return views.usage(req.lang, "/lang ko|en")
    chat = replace(req.chat, language=Language(req.args[0].lower()))
    await env.services.repos.chats.upsert_chat(chat)
    return Reply(t(chat.language, "lang_set"))


async def cmd_price(env: Env, req: Request) -> Reply:
    if len(req.args) != 1:
        return views.usage(req.lang, "/price SYMBOL")
    return await price_of(env, req, req.args[0])


async def price_of(env: Env, req: Request, raw: str) -> Reply:
    inst = await resolve(env, req, raw, verify=True)
    if isinstance(inst, Reply):
        return inst
    try:
        quote, age = await env.services.quotes.quote(inst)
    except FinsignalError as exc:
        logger.warning("quote %s failed: %s", inst.symbol, exc)
        return Reply(t(req.lang, "quote_unavailable", symbol=esc(inst.symbol)))
    halted = False
    if inst.market is Market.KRX:  # issue 21: a halted stock is marked
        listing = await env.services.repos.listings.get_listing(inst.symbol.split(".", 1)[0])
        halted = listing is not None and listing.status is ListingStatus.HALTED
    return views.render_price(req.lang, inst, quote, age, halted=halted)


async def bounded_price(env: Env, req: Request, raw: str) -> Reply:
    """`price_of`, or "unavailable" after `lookup_timeout_s` (a slow source must not hold the reply)."""
    try:
        return await asyncio.wait_for(price_of(env, req, raw), env.settings.lookup_timeout_s)
    except TimeoutError:
        logger.warning("lookup of %s took over %.1f s", raw[:MAX_ARG], env.settings.lookup_timeout_s)
        return Reply(t(req.lang, "quote_unavailable", symbol=esc(raw, MAX_ARG)))


async def cmd_dollar(env: Env, req: Request) -> Reply:
    """`$FCO2.DE` inside a private message: prices of up to three symbols, looked up concurrently."""
    found = list(dict.fromkeys(DOLLAR_RE.findall(req.text)))[:3]
    replies = await asyncio.gather(*(bounded_price(env, req, sym) for sym in found))
    return Reply(views.fit("\n\n".join(r.text for r in replies).split("\n")))


async def cmd_watch(env: Env, req: Request) -> Reply:
    if not req.args:
        return views.usage(
            req.lang, "/watch SYMBOL [1m|5m|15m|1d] [signals, e.g. golden_cross,rsi] [combo:A+B]"
        )
    if not req.can_manage:
        return Reply(t(req.lang, "not_group_admin"))
    try:
        interval, words = timeframes.split_timeframe(req.args[1:])
    except timeframes.BadTimeframe as exc:
        return Reply(timeframes.bad_timeframe(req.lang, str(exc)))
    words, combo_words = combo_args(words)
    signals = parse_signals(words)
    if isinstance(signals, str):
        return Reply(t(req.lang, "unknown_signal", name=esc(signals, MAX_ARG), known=_known_signals()))
    combos = await confirmed_combos(env.services.repos, req.lang, combo_words)
    if isinstance(combos, Reply):
        return combos
    inst = await resolve(env, req, req.args[0], verify=True)
    if isinstance(inst, Reply):
        return inst
    refused = timeframes.intraday_refused(req.lang, inst, interval) if interval else None
    if refused:
        return Reply(refused)
    repos = env.services.repos
    existing = await repos.watches.list_watches(req.chat.chat_id)
    limit = watch_limit(env, req.chat)
    if inst.symbol not in {w.symbol for w in existing} and len(existing) >= limit:
        return Reply(t(req.lang, "watch_limit", limit=limit))
    await repos.instruments.upsert_instruments([inst])
    old = next((w for w in existing if w.symbol == inst.symbol), None)
    watch = timeframes.with_timeframe(
        old, Watch(req.chat.chat_id, inst.symbol, signals), interval or Interval.D1
    )
    watch = with_combos(watch, old, combos, bool(words))
    signals = watch.signals
    await repos.watches.upsert_watch(watch)
    alias = req.args[0].strip().upper()
    if alias in vintage.FRONT_ALIASES:  # bare KAU/KCU: the watch moves with the front vintage
        await vintage.follow(repos, req.chat.chat_id, alias, inst.symbol)
    if env.services.followups is not None:
        env.services.followups.watched(inst.symbol)  # history and track record follow shortly
    text = t(
        req.lang,
        "watch_added" if watch.intervals == {Interval.D1} else "watch_added_tf",
        symbol=esc(inst.symbol),
        name=esc(inst.name),
        signals=_watched_types(req.lang, signals, inst, watch.intervals),
        tf=timeframes.label(req.lang, watch.intervals),
    )
    if alias in vintage.FRONT_ALIASES:
        text += "\n" + t(req.lang, "follows_front", alias=alias, symbol=esc(inst.symbol))
    if watch.combos:
        text += "\n" + combos_watched(req.lang, watch.combos)
    return Reply(text)


async def find_watched(env: Env, req: Request, raw: str) -> str | Reply:
    """The watched symbol meant by `raw` (exact, case-insensitive, else via the resolver)."""
    watches = await env.services.repos.watches.list_watches(req.chat.chat_id)
    by_upper = {w.symbol.upper(): w.symbol for w in watches}
    if raw.upper() in by_upper:
        return by_upper[raw.upper()]
    inst = await resolve(env, req, raw)
    if isinstance(inst, Reply):
        return inst
    return inst.symbol


async def cmd_unwatch(env: Env, req: Request) -> Reply:
    if len(req.args) not in (1, 2):
        return views.usage(req.lang, "/unwatch SYMBOL [1m|5m|15m|1d]")
    if not req.can_manage:
        return Reply(t(req.lang, "not_group_admin"))
    try:
        interval, rest = timeframes.split_timeframe(req.args[1:])
    except timeframes.BadTimeframe as exc:
        return Reply(timeframes.bad_timeframe(req.lang, str(exc)))
    if rest:
        return views.usage(req.lang, "/unwatch SYMBOL [1m|5m|15m|1d]")
    symbol = await find_watched(env, req, req.args[0])
    if isinstance(symbol, Reply):
        return symbol
    if interval is not None:
        return await unwatch_timeframe(env, req, symbol, interval)
    return await unwatch(env, req, symbol)


async def unwatch_timeframe(env: Env, req: Request, symbol: str, interval: Interval) -> Reply:
    """`/unwatch SYMBOL 15m`: stop that timeframe only; the watch goes when no timeframe is left."""
    repos = env.services.repos
    watch = next((w for w in await repos.watches.list_watches(req.chat.chat_id) if w.symbol == symbol), None)
    tf = timeframes.label(req.lang, frozenset({interval}))
    if watch is None or interval not in watch.intervals:
        return Reply(t(req.lang, "not_watching_tf", symbol=esc(symbol, MAX_ARG), tf=tf))
    if watch.intervals == {interval}:
        return await unwatch(env, req, symbol)
    await repos.watches.upsert_watch(replace(watch, intervals=watch.intervals - {interval}))
    return Reply(t(req.lang, "unwatched_tf", symbol=esc(symbol, MAX_ARG), tf=tf))


async def unwatch(env: Env, req: Request, symbol: str) -> Reply:
    removed = await env.services.repos.watches.remove_watch(req.chat.chat_id, symbol)
    await vintage.unfollow(env.services.repos, req.chat.chat_id, symbol)
    return Reply(t(req.lang, "unwatched" if removed else "not_watching", symbol=esc(symbol, MAX_ARG)))


async def mute(env: Env, req: Request, symbol: str, signal: SignalType) -> Reply:
    repos = env.services.repos
    watch = next((w for w in await repos.watches.list_watches(req.chat.chat_id) if w.symbol == symbol), None)
    if watch is None:
        return Reply(t(req.lang, "not_watching", symbol=esc(symbol, MAX_ARG)))
    await repos.watches.upsert_watch(replace(watch, muted=watch.muted | {signal}))
    return Reply(t(req.lang, "muted", symbol=esc(symbol), signal=esc(signal_name(req.lang, signal))))


async def toggle_mute_all(env: Env, req: Request, symbol: str) -> Reply:
    """Watchlist button: mute every signal of a watch, or unmute it again."""
    repos = env.services.repos
    watch = next((w for w in await repos.watches.list_watches(req.chat.chat_id) if w.symbol == symbol), None)
    if watch is None:
        return Reply(t(req.lang, "not_watching", symbol=esc(symbol, MAX_ARG)))
    muting = not watch.muted >= watch.signals
    await repos.watches.upsert_watch(replace(watch, muted=watch.signals if muting else frozenset()))
    return Reply(t(req.lang, "muted_all" if muting else "unmuted_all", symbol=esc(symbol)))


async def cmd_watchlist(env: Env, req: Request) -> Reply:
    watches = await env.services.repos.watches.list_watches(req.chat.chat_id)
    follows = await vintage.followed(env.services.repos, req.chat.chat_id)
    reply = views.render_watchlist(req.lang, watches, watch_limit(env, req.chat), follows)
    return with_combo_lines(req.lang, reply, watches)


async def cmd_signals(env: Env, req: Request) -> Reply:
    if len(req.args) != 1:
        return views.usage(req.lang, "/signals SYMBOL")
    inst = await resolve(env, req, req.args[0])
    if isinstance(inst, Reply):
        return inst
    svc = env.services
    snapshot = await svc.indicators.snapshot(inst.symbol)
    events = await svc.repos.events.list_events(inst.symbol, limit=10, interval=Interval.D1)  # daily view
    ratings = await svc.repos.ratings.list_ratings(inst.symbol)
    return views.render_signals(req.lang, inst, snapshot, events, ratings)


CHART_USAGE = "/chart SYMBOL [3m|6m|1y|5y] · /chart SYMBOL 1d|5d 1m|5m|15m"


async def cmd_chart(env: Env, req: Request) -> Reply:
    words = [a.lower() for a in req.args[1:]]
    if len(words) == 2 and words[0] in intraday.SPANS and words[1] in intraday.INTERVALS:
        return await chart_intraday(env, req, words[0], words[1])
    if not 1 <= len(req.args) <= 2 or (len(req.args) == 2 and req.args[1].lower() not in PERIODS):
        return views.usage(req.lang, CHART_USAGE)
    period = req.args[1].lower() if len(req.args) == 2 else "6m"
    inst = await resolve(env, req, req.args[0])
    if isinstance(inst, Reply):
        return inst
    days = PERIODS[period]
    bars = await env.services.history.bars(inst.symbol, days + 300)  # warm-up for SMA 200
    if not bars:
        return Reply(t(req.lang, "no_data", symbol=esc(inst.symbol)))
    since = bars[-1].ts - timedelta(days=days)  # the period ends at the latest bar (markets close)
    stored = await env.services.repos.events.list_events(
        inst.symbol, since=since, limit=200, interval=Interval.D1
    )
    from bot.chart import chart_data, render_chart  # matplotlib is heavy: import on first use

    data = await asyncio.to_thread(chart_data, bars, env.settings, stored)
    st = env.settings
    png = await asyncio.to_thread(
        partial(
            render_chart,
            smas=(data.sma_fast, data.sma_slow),
            lang=req.lang,
            currency=inst.currency,
            city=CITY_NAMES[req.lang.value][inst.market],
            tz=inst.timezone,
            windows=(st.sma_fast, st.sma_slow),
        ),
        bars,
        data.events,
        t(req.lang, "chart_title", symbol=inst.symbol, name=inst.name, period=period),
        since,
    )
    stamp = f"{env.clock.now():%Y%m%d-%H%M%S}"
    return Reply(
        f"<b>{esc(inst.symbol)}</b> {esc(inst.name)} · {t(req.lang, 'period_' + period)}",
        photo=png,
        extra={"filename": f"{inst.symbol}-{period}-{stamp}"},
    )


async def chart_intraday(env: Env, req: Request, span: str, interval: str) -> Reply:
    """`/chart SYMBOL 1d|5d 1m|5m|15m`: the last session(s) of stored intraday bars."""
    inst = await resolve(env, req, req.args[0])
    if isinstance(inst, Reply):
        return inst
    ivl = intraday.INTERVALS[interval]
    bars = await intraday.session_bars(
        env.services.repos.bars, inst.symbol, ivl, intraday.SPANS[span], inst.timezone
    )
    if not bars:
        return Reply(t(req.lang, "no_intraday", symbol=esc(inst.symbol), interval=interval))
    from bot.chart_intraday import render_intraday_chart  # matplotlib is heavy: import on first use

    minutes = int(interval.removesuffix("m"))
    what = f"{t(req.lang, 'period_' + span)} · {t(req.lang, 'minute_candles', n=minutes)}"
    png = await asyncio.to_thread(
        partial(
            render_intraday_chart,
            lang=req.lang,
            currency=inst.currency,
            city=CITY_NAMES[req.lang.value][inst.market],
            tz=inst.timezone,
        ),
        bars,
        t(req.lang, "chart_title", symbol=inst.symbol, name=inst.name, period=what),
        minutes,
    )
    stamp = f"{env.clock.now():%Y%m%d-%H%M%S}"
    return Reply(
        f"<b>{esc(inst.symbol)}</b> {esc(inst.name)} · {what}",
        photo=png,
        extra={"filename": f"{inst.symbol}-{span}-{interval}-{stamp}"},
    )


async def cmd_news(env: Env, req: Request) -> Reply:
    news = env.services.news
    if news is None:
        return Reply(t(req.lang, "news_unavailable"))
    if len(req.args) > 1 or (req.args and len(req.args[0]) > MAX_ARG):
        return views.usage(req.lang, "/news [SYMBOL|industry]")
    items = await news.latest(req.args[0] if req.args else None, 5)
    return views.render_news(req.lang, items)


def _on_off(word: str) -> bool | None:
    return {"on": True, "off": False}.get(word.lower())


async def cmd_settings(env: Env, req: Request) -> Reply:
    args = [a.lower() for a in req.args]
    if not args:
        return views.render_settings(req.lang, req.chat)
    if not req.can_manage:
        return Reply(t(req.lang, "not_group_admin"))
    chat = _apply_setting(req.chat, args)
    if isinstance(chat, str):
        if chat.startswith("!"):
            return Reply(t(req.lang, "unknown_signal", name=esc(chat[1:], MAX_ARG), known=_known_signals()))
        return views.usage(req.lang, chat)
    await env.services.repos.chats.upsert_chat(chat)
    shown = views.render_settings(req.lang, chat)
    return Reply(t(req.lang, "settings_saved") + "\n\n" + shown.text, buttons=shown.buttons)


async def set_news_alerts(env: Env, req: Request, on: bool) -> Reply:
    """Switch this chat's news alerts on or off (settings and news-alert buttons)."""
    if not req.can_manage:
        return Reply(t(req.lang, "not_group_admin"))
    chat = replace(req.chat, news_alerts=on)
    await env.services.repos.chats.upsert_chat(chat)
    if on:
        return Reply(t(req.lang, "news_alerts_on", limit=env.settings.news_alerts_per_hour))
    return Reply(t(req.lang, "news_alerts_off"))


def _apply_setting(chat: Chat, args: list[str]) -> Chat | str:
    """The chat with one setting changed, or a usage string ('!word' for an unknown signal)."""
    key, rest = args[0], args[1:]
    if key == "signals" and rest:
        signals = parse_signals(rest)
        return "!" + signals if isinstance(signals, str) else replace(chat, signals=signals)
    if key == "silent" and len(rest) == 1 and _on_off(rest[0]) is not None:
        return replace(chat, silent=bool(_on_off(rest[0])))
    if key == "news" and len(rest) == 1 and _on_off(rest[0]) is not None:
        return replace(chat, news_alerts=bool(_on_off(rest[0])))
    if key == "quiet" and rest == ["off"]:
        return replace(chat, quiet_start=None, quiet_end=None)
    if key == "quiet" and len(rest) in (1, 2):
        m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", rest[0])
        mode = rest[1] if len(rest) == 2 else chat.quiet_mode.value
        if m and int(m[1]) < 24 and int(m[2]) < 24 and m[1] != m[2] and mode in ("hold", "drop"):
            return replace(chat, quiet_start=int(m[1]), quiet_end=int(m[2]), quiet_mode=QuietMode(mode))
        return "/settings quiet 22-7 hold|drop"
    return (
        "/settings signals all|TYPE,TYPE · /settings quiet 22-7 hold|drop · /settings silent on|off"
        " · /settings news on|off"
    )
