"""A tiny in-memory stand-in for the repositories news uses (only while storage is unavailable)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from core.ports import Repositories
from core.types import Instrument, NewsItem


class MemoryNews:
    def __init__(self) -> None:
        self.rows: list[NewsItem] = []

    async def add_news(self, items: Sequence[NewsItem]) -> list[NewsItem]:
        new = []
        for item in items:
            if any(
                r.url == item.url or (item.guid and r.guid == item.guid) or r.fingerprint == item.fingerprint
                for r in self.rows
            ):
                continue
            stored = replace(item, id=len(self.rows) + 1)
            self.rows.append(stored)
            new.append(stored)
        return new

    async def list_news(
        self, *, symbol: str | None = None, industry: str | None = None, limit: int = 10
    ) -> list[NewsItem]:
        rows = [
            r
            for r in self.rows
            if (symbol is None or symbol in r.symbols) and (industry is None or industry in r.industries)
        ]
        return sorted(rows, key=lambda r: (r.published, r.id or 0), reverse=True)[:limit]


class MemoryState:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    async def get_state(self, key: str) -> bytes | None:
        return self.data.get(key)

    async def put_state(self, key: str, value: bytes) -> None:
        self.data[key] = value

    async def try_lease(self, name: str, owner: str, now: datetime, ttl_s: float) -> bool:
        return True


class MemoryInstruments:
    def __init__(self) -> None:
        self.rows: dict[str, Instrument] = {}

    async def upsert_instruments(self, instruments: Iterable[Instrument]) -> None:
        self.rows.update({i.symbol: i for i in instruments})

    async def get_instrument(self, symbol: str) -> Instrument | None:
        return self.rows.get(symbol)

    async def list_instruments(self, *, active_only: bool = True) -> list[Instrument]:
        return list(self.rows.values())


def memory_repos() -> Repositories:
    none: Any = None
    return Repositories(
        instruments=MemoryInstruments(),
        bars=none,
        chats=none,
        watches=none,
        events=none,
        outbox=none,
        news=MemoryNews(),
        ratings=none,
        cursors=none,
        state=MemoryState(),
        health=none,
    )
