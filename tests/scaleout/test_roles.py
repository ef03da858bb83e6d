"""Roles over one Redis and one database, as real processes on loopback (issue 20): one collector and two
API workers (uvicorn); WebSocket clients on either worker get the collector's quote and signal; the
bot's delivery turns the signal event into one outbox row; API workers never ask a source; a standby
collector takes over after `kill -9` of the active one."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from core.settings import Settings, load_settings
from core.types import Bar, Chat, ChatKind, Market, SignalEvent, Watch
from finsignal.collector import LEASE
from finsignal.container import open_app
from market.resolver import make_instrument
from scheduler.pipeline import SignalPipeline
from signals import SignalEngine, signal_config
from storage import Database
from tests.api.conftest import READ_KEY, START, closes, seed
from tests.fakes.fake_sources import FakeSources
from tests.fakes.redis_server import RedisTestServer
from tests.fakes.source_payloads import daily_rows
from tests.scaleout.processes import Proc, base_env, start, start_api

CHAT = 7


class _Nobody:
    async def publish(self, events: Sequence[SignalEvent]) -> int:
        return 0


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources(latency_s=0.0) as server:
        server.add_yahoo("AAPL", daily_rows(START, closes()))
        yield server


async def seed_world(db: Database, settings: Settings) -> Bar:
    """AAPL's history, a chat watching it, API keys, and the signal engine as a collector left it one
    bar ago; the newest stored bar (a volume spike) is not evaluated yet. Returns that bar."""
    bars = await seed(db)
    repos = db.repos
    await repos.instruments.upsert_instruments([make_instrument("AAPL", Market.US, "Apple")])
    await repos.chats.upsert_chat(Chat(CHAT, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(CHAT, "AAPL"))
    pipeline = SignalPipeline(
        repos, _Nobody(), lambda: SignalEngine(signal_config(settings)), warmup=settings.warmup_bars
    )
    await pipeline.warm(["AAPL"])
    spike = replace(bars[-1], ts=bars[-1].ts + timedelta(days=1), volume=bars[-1].volume * 50)
    await repos.bars.upsert_bars([spike])
    return spike


async def collect(ws: ClientConnection, kinds: set[str], timeout_s: float = 240.0) -> dict[str, Any]:
    """The first message of each kind in `kinds`, whatever their order."""
    got: dict[str, Any] = {}
    async with asyncio.timeout(timeout_s):
        while not kinds <= got.keys():
            msg = json.loads(await ws.recv())
            if msg["type"] in kinds:
                got.setdefault(msg["type"], msg)
    return got


async def subscribed(url: str) -> ClientConnection:
    ws = await connect(url.replace("http://", "ws://") + f"/v1/stream?api_key={READ_KEY}")
    await ws.send(json.dumps({"action": "subscribe", "kinds": ["quote", "signal"], "symbols": ["AAPL"]}))
    await collect(ws, {"subscribed"})
    return ws


@pytest.mark.timeout(900)  # five Python processes: minutes on a busy machine, ~1.5 min on a quiet one
async def test_one_collector_feeds_two_api_workers_and_the_bot_and_a_standby_takes_over_after_kill_9(
    redis_server: RedisTestServer, sqlite_db: Database, sqlite_url: str, fake: FakeSources, tmp_path: Path
) -> None:
    settings = load_settings(database_url=sqlite_url, redis_url=redis_server.url, role="bot")
    spike = await seed_world(sqlite_db, settings)
    ttl = 10.0  # longer than the event-loop stalls of a start-up on a busy machine
    env = base_env(sqlite_url, redis_server.url, fake, tmp_path / "var")
    env["FINSIGNAL_COLLECTOR_LEASE_TTL_S"] = str(ttl)
    procs: list[Proc] = []
    try:
        (api_a, url_a), (api_b, url_b) = await asyncio.gather(
            asyncio.to_thread(start_api, env, tmp_path / "api-a.log"),
            asyncio.to_thread(start_api, env, tmp_path / "api-b.log"),
        )
        procs += [api_a, api_b]
        http = httpx.AsyncClient(headers={"X-API-Key": READ_KEY}, timeout=10)
        before = await http.get(f"{url_a}/v1/quotes/AAPL")
        assert before.status_code == 200, before.text
        assert before.json()["source"] == "stored:yahoo"  # no collector yet: from the database
        assert fake.count("yahoo") == 0  # an API worker never asks a source

        ws_a, ws_b = await subscribed(url_a), await subscribed(url_b)
        async with open_app(settings) as bot:  # the bot's delivery, consuming the signal stream
            collectors = {
                name: start(env, tmp_path / f"{name}.log", "run", "--role", "collector",
                            FINSIGNAL_INSTANCE_ID=name)
                for name in ("c1", "c2")
            }  # fmt: skip
            procs += collectors.values()
            got_a, got_b = await asyncio.gather(
                collect(ws_a, {"quote", "signal"}), collect(ws_b, {"quote", "signal"})
            )
            for got in (got_a, got_b):
                assert got["quote"]["symbol"] == "AAPL"
                assert got["quote"]["data"]["source"] == "yahoo"
                assert got["signal"]["data"]["signal"] == "volume_spike"
                assert got["signal"]["data"]["ts"] == spike.ts.isoformat()
            async with asyncio.timeout(30):
                while await bot.repos.outbox.count_pending() < 1:  # noqa: ASYNC110 (another process)
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # a second row would arrive by now
            assert await bot.repos.outbox.count_pending() == 1  # one event, one watching chat

        after = (await http.get(f"{url_b}/v1/quotes/AAPL")).json()
        assert after["source"] == "yahoo"  # worker B reads the collector's quote from the hot tier
        fetched = fake.count("yahoo")
        for url in (url_a, url_b):
            await http.get(f"{url}/v1/quotes/AAPL")
        assert fake.count("yahoo") == fetched  # still only the collector asks

        # exactly one collector is active; the other waits, then takes over after kill -9
        active_name = _lease_holder(sqlite_url).partition(":")[0]
        active, standby = collectors[active_name], collectors[{"c1": "c2", "c2": "c1"}[active_name]]
        await asyncio.to_thread(standby.wait_log, "on standby", 240.0)
        assert "is active" not in standby.text()
        active.kill9()
        killed = time.monotonic()
        await asyncio.to_thread(standby.wait_log, "is active", 30.0)
        took = time.monotonic() - killed
        assert took < ttl * 1.5, f"took over after {took:.2f}s (lease {ttl}s)"  # the TTL, then one try
        again = await asyncio.gather(collect(ws_a, {"quote"}), collect(ws_b, {"quote"}))
        assert all(g["quote"]["data"]["source"] == "yahoo" for g in again)  # the new collector's quote
        assert _lease_holder(sqlite_url) == f"{standby_name(collectors, standby)}:collector"
        await ws_a.close()
        await ws_b.close()
        assert standby.stop() == 0  # SIGTERM: a clean stop, the lease released
        assert _lease_holder(sqlite_url) == ""
        await http.aclose()
    finally:
        for proc in procs:
            proc.stop()


def standby_name(collectors: dict[str, Proc], proc: Proc) -> str:
    return next(name for name, p in collectors.items() if p is proc)


def _lease_holder(sqlite_url: str) -> str:
    import sqlite3

    with sqlite3.connect(sqlite_url.split("///", 1)[1]) as conn:
        row = conn.execute("select owner from leases where name = ?", (LEASE,)).fetchone()
    return "" if row is None else str(row[0])
