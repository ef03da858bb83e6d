"""Several `$SYMBOL`s in one message are looked up concurrently, each bounded by lookup_timeout_s."""

from __future__ import annotations

import asyncio

from bot.commands import Env, Request, cmd_dollar
from core.errors import SymbolError
from core.ports import Repositories
from core.types import Chat, ChatKind, Instrument
from tests.bot.fakes import INSTRUMENTS, FakeClock, make_services, make_settings


class GatedResolver:
    """Each lookup waits until all three have started (a sequential caller would wait forever);
    'HANG' never answers."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.all_started = asyncio.Event()

    async def resolve(self, text: str, *, verify: bool = False) -> Instrument:
        self.started.append(text)
        if len(self.started) == 3:
            self.all_started.set()
        await self.all_started.wait()
        if text == "HANG":
            await asyncio.Event().wait()
        if text.upper() in INSTRUMENTS:
            return INSTRUMENTS[text.upper()]
        raise SymbolError(text)


async def test_three_symbols_are_looked_up_at_once_and_a_hanging_one_is_cut_off(
    sqlite_repos: Repositories,
) -> None:
    resolver = GatedResolver()
    settings = make_settings(lookup_timeout_s=0.5)
    env = Env(make_services(sqlite_repos, resolver=resolver), settings, FakeClock())
    req = Request(Chat(700, ChatKind.PRIVATE), text="$KAU25 $NOPE $HANG")
    reply = await asyncio.wait_for(cmd_dollar(env, req), 10)  # sequential lookups would never finish
    assert sorted(resolver.started) == ["HANG", "KAU25", "NOPE"]
    assert "9,150" in reply.text or "9150" in reply.text
    assert "Unknown symbol: <code>NOPE</code>" in reply.text
    assert "HANG" in reply.text  # answered as unavailable, not waited for
