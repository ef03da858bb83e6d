"""Console mode (`finsignal chat`): the same command logic in a terminal, alerts printed as they fire."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence, Set
from dataclasses import replace
from typing import TextIO

from bot import commands, views
from bot.commands import Env, Request
from bot.dispatch import COMMANDS, split_command
from bot.i18n import t
from bot.services import BotServices
from bot.views import Reply
from bot.views_alert import rating_key, render_alert
from bot.views_user_alert import render_hit
from core.settings import Settings
from core.timeutil import Clock, SystemClock
from core.types import AlertHit, Chat, ChatKind, Language, SignalEvent
from signals.user_alerts import Margins

logger = logging.getLogger(__name__)

CONSOLE_CHAT_ID = 0
NO_DB = frozenset({"start", "help"})  # answered without touching the database


def _console_chat(settings: Settings) -> Chat:
    return Chat(
        CONSOLE_CHAT_ID, ChatKind.CONSOLE, title="console", language=Language(settings.default_language)
    )


class ConsoleChat:
    """Reads commands from `stdin`, writes plain-text replies to `stdout`. The operator is an admin."""

    def __init__(
        self,
        services: BotServices,
        settings: Settings,
        *,
        stdin: TextIO,
        stdout: TextIO,
        clock: Clock | None = None,
        prompt: str = "> ",
    ) -> None:
        self._env = Env(services, settings, clock or SystemClock())
        self._stdin = stdin
        self._stdout = stdout
        self._prompt = prompt
        self._chat: Chat | None = None

    def write(self, text: str) -> None:
        self._stdout.write(text.rstrip("\n") + "\n")
        self._stdout.flush()

    async def run(self) -> None:
        """Answer lines until end of input or /quit."""
        self.write(views.to_plain(t(Language(self._env.settings.default_language), "start")))
        while True:
            if self._prompt:
                self._stdout.write(self._prompt)
                self._stdout.flush()
            line = await asyncio.to_thread(self._stdin.readline)
            if not line:
                return
            line = line.strip()
            if line in ("/quit", "/exit", "quit", "exit"):
                return
            if line:
                self.write(await self.handle(line))

    async def handle(self, line: str) -> str:
        """One line in, the plain-text reply out (errors are logged, never shown as tracebacks)."""
        try:
            reply = await self._dispatch(line)
        except Exception:
            logger.exception("console command failed: %s", line[:80])
            reply = Reply(t(Language(self._env.settings.default_language), "error"))
        text = views.to_plain(reply.text)
        if reply.photo is not None:
            text += "\n" + self._save_photo(reply)
        for row in reply.buttons:
            text += "\n" + "  ".join(f"[{label}]" for label, _ in row)
        return text

    async def _dispatch(self, line: str) -> Reply:
        parsed = split_command(line)
        if parsed is None:
            chat = await self._load_chat()
            if "$" in line:
                return await commands.cmd_dollar(self._env, Request(chat, text=line, is_admin=True))
            return Reply(t(chat.language, "unknown_command"))
        name, args, rest = parsed
        spec = COMMANDS.get(name)
        chat = self._chat or _console_chat(self._env.settings) if name in NO_DB else await self._load_chat()
        if spec is None:
            return Reply(t(chat.language, "unknown_command"))
        req = Request(chat, args=args, text=rest, is_admin=True, can_manage=True)
        reply = await spec.fn(self._env, req)
        if name in ("lang", "settings"):
            self._chat = None  # the command changed it: reload
            await self._load_chat()
        return reply

    async def _load_chat(self) -> Chat:
        if self._chat is None:
            chats = self._env.services.repos.chats
            chat = await chats.get_chat(CONSOLE_CHAT_ID)
            if chat is None:
                chat = await chats.upsert_chat(_console_chat(self._env.settings))
            elif not chat.active:
                chat = await chats.upsert_chat(replace(chat, active=True))
            self._chat = chat
        return self._chat

    def _save_photo(self, reply: Reply) -> str:
        """Write the chart to a file of its own (symbol, period, time, a counter): never overwritten."""
        out_dir = self._env.settings.data_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = str(reply.extra.get("filename") or views.to_plain(reply.text).split("·")[0].strip())
        name = re.sub(r"[^A-Za-z0-9.\-]+", "_", stem)[:60] or "chart"
        path = out_dir / f"chart-{name}.png"
        n = 1
        while path.exists():
            n += 1
            path = out_dir / f"chart-{name}-{n}.png"
        path.write_bytes(reply.photo or b"")
        return f"(chart saved to {path})"


class ConsoleNotifier:
    """`core.ports.Notifier` for console mode: prints alerts for what the console chat watches."""

    def __init__(
        self,
        services: BotServices,
        *,
        stdout: TextIO,
        clock: Clock | None = None,
        margins: Margins | None = None,
    ) -> None:
        self._repos = services.repos
        self._stdout = stdout
        self._clock = clock or SystemClock()
        self._margins = margins or Margins()

    async def publish(self, events: Sequence[SignalEvent]) -> int:
        chat = await self._repos.chats.get_chat(CONSOLE_CHAT_ID)
        if chat is None:
            return 0
        watches = {w.symbol: w for w in await self._repos.watches.list_watches(CONSOLE_CHAT_ID)}
        printed = 0
        for event in events:
            watch = watches.get(event.symbol)
            if (
                watch is None
                or not watch.wants(event.signal, event.interval)
                or event.signal not in chat.signals
            ):
                continue
            inst = await self._repos.instruments.get_instrument(event.symbol)
            ratings = await self._repos.ratings.list_ratings(rating_key(event))
            rating = views.pick_rating(ratings, event.signal)
            reply = render_alert(chat.language, event, inst, rating)
            self._stdout.write("\n" + views.to_plain(reply.text) + "\n")
            printed += 1
        self._stdout.flush()
        return printed

    async def publish_close(
        self, events: Sequence[SignalEvent], hits: Sequence[AlertHit], *, created: Set[str] = frozenset()
    ) -> int:
        """`core.ports.CloseNotifier`: the events, then the console chat's own alerts (issue 24)."""
        printed = await self.publish(events) if events else 0
        chat = await self._repos.chats.get_chat(CONSOLE_CHAT_ID)
        for hit in hits:
            if chat is None or hit.alert.chat_id != CONSOLE_CHAT_ID:
                continue
            inst = await self._repos.instruments.get_instrument(hit.alert.symbol)
            reply = render_hit(chat.language, hit, inst, self._margins)
            self._stdout.write("\n" + views.to_plain(reply.text) + "\n")
            printed += 1
        self._stdout.flush()
        return printed
