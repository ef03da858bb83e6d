"""`finsignal replay`: stored history through the live path, alerts to the console or to one Telegram chat.

Events and engine state go to a scratch database in a temporary directory, so replay never writes the
live event tables; the live database is only read (bars, instrument names). The rating on a replayed
alert is the one that could have been shown then: computed walk-forward from the bars up to the
alert's bar (`backtest.pointintime`), never the stored rating that rests on later years.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from backtest.pointintime import WalkForward
from bot import views
from bot.delivery import Sender
from bot.ratelimit import ChatRateLimiter
from bot.views_alert import render_alert
from core.errors import ConfigError, UsageError
from core.ports import Repositories
from core.quality import quality_rules
from core.settings import Settings
from core.timeutil import Clock
from core.types import Interval, Language, OutboxMessage, Rating, SignalEvent
from finsignal.container import open_app
from scheduler import replay
from signals import signal_config
from storage import Database


class ReplayNotifier:
    """Renders each replayed event as the alert a subscriber would get; prints it or queues it for a chat."""

    def __init__(
        self,
        live: Repositories,
        scratch: Repositories,
        clock: Clock,
        *,
        console: Console,
        lang: Language,
        chat_id: int | None,
        walk: WalkForward | None = None,
    ) -> None:
        self._live, self._scratch, self._clock, self._walk = live, scratch, clock, walk
        self._console, self._lang, self._chat_id = console, lang, chat_id

    async def _ratings(self, event: SignalEvent) -> list[Rating]:
        """Point-in-time ratings when walking forward; else the stored (latest) ones."""
        if self._walk is None:
            return list(await self._live.ratings.list_ratings(event.symbol))
        return await asyncio.to_thread(self._walk.ratings, event.symbol, event.ts)

    async def publish(self, events: Sequence[SignalEvent]) -> int:
        queued: list[OutboxMessage] = []
        for event in events:
            inst = await self._live.instruments.get_instrument(event.symbol)
            rating = views.pick_rating(await self._ratings(event), event.signal)
            reply = render_alert(self._lang, event, inst, rating)
            if self._chat_id is None:
                self._console.print(views.to_plain(reply.text), highlight=False)
                self._console.print()
            else:
                queued.append(
                    OutboxMessage(
                        chat_id=self._chat_id,
                        dedup_key=f"replay:{event.key}:{self._chat_id}",
                        text=reply.text,
                        kind="replay",
                    )
                )
        if queued:
            await self._scratch.outbox.enqueue(queued)
        return len(events)


async def run_replay(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    if args.speed < 0:
        raise UsageError("--speed must be 0 (as fast as possible) or a positive number of bars per second")
    if args.end is not None and args.end < args.start:
        raise UsageError("--to must not be before --from")
    if args.telegram is not None and not settings.telegram_enabled:
        raise ConfigError("FINSIGNAL_TELEGRAM_TOKEN is not set: replay --telegram needs the bot's token")
    async with open_app(settings) as app:
        symbols = [(await app.market.resolve(s)).symbol for s in args.symbols]
        walk = WalkForward(
            {s: await app.repos.bars.list_bars(s, Interval.D1) for s in symbols},
            config=signal_config(settings), horizons=settings.backtest_horizons,
            years=settings.backtest_years, quality=quality_rules(settings),
        )  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="finsignal-replay-") as tmp:
            scratch_db = await Database.open(f"sqlite+aiosqlite:///{Path(tmp) / 'replay.db'}")
            try:
                notifier = ReplayNotifier(
                    app.repos,
                    scratch_db.repos,
                    app.clock,
                    console=console,
                    lang=Language(settings.default_language),
                    chat_id=args.telegram,
                    walk=walk,
                )
                result = await replay(
                    app.repos,
                    symbols,
                    args.start,
                    args.end,
                    speed=args.speed,
                    notifier=notifier,
                    config=signal_config(settings),
                    scratch=scratch_db.repos,
                )
                if args.telegram is not None:
                    await _send(settings, scratch_db.repos)
            finally:
                await scratch_db.close()
    for symbol in result.missing:
        console.print(f"[yellow]{symbol}: no stored bars in that range (finsignal fetch {symbol})[/yellow]")
    console.print(
        f"replayed {result.bars} bars over {result.steps} days: {len(result.events)} alerts "
        f"in {result.elapsed_s:.2f} s"
    )
    return 1 if len(result.missing) == len(symbols) else 0


async def _send(settings: Settings, scratch: Repositories) -> None:
    """Drain the scratch outbox to Telegram through the same Sender as live alerts."""
    from telegram.ext import ExtBot

    assert settings.telegram_token is not None
    bot: ExtBot[None] = ExtBot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url,
        rate_limiter=ChatRateLimiter(overall_per_s=settings.send_rate_per_second),  # type: ignore[arg-type]
    )
    async with bot:
        sender = Sender(bot, scratch)  # type: ignore[arg-type]
        while await scratch.outbox.count_pending():
            if not await sender.drain_once():
                await asyncio.sleep(0.5)
