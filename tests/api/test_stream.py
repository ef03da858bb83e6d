"""WS /v1/stream on a real uvicorn server: a quote and a signal the pipeline produced arrive; bad
clients are closed with a reason; a slow client is dropped without holding up the others."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from api.routes import stream as stream_route
from core.settings import load_settings
from core.types import SignalEvent
from finsignal.webapi import build_asgi_app
from market.bus import BusNotifier
from scheduler.pipeline import SignalPipeline
from signals import SignalEngine, signal_config
from storage import Database
from tests.api.conftest import READ_KEY, seed, settings_for
from tests.fakes.fake_sources import FakeSources


class _Counting:
    def __init__(self) -> None:
        self.events: list[SignalEvent] = []

    async def publish(self, events: Sequence[SignalEvent]) -> int:
        self.events += events
        return len(events)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def server(db: Database, fake_sources: FakeSources) -> AsyncIterator[tuple[str, Any]]:
    await seed(db)
    app = build_asgi_app(settings_for(db, fake_sources))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_config=None))
    task = asyncio.create_task(srv.serve())
    while not srv.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    yield f"ws://127.0.0.1:{port}/v1/stream", app
    srv.should_exit = True
    await task


async def _next(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if msg["type"] == kind:
            return msg  # type: ignore[no-any-return]


async def _closed(ws: ClientConnection) -> tuple[int, str]:
    """Read until the server closes; (code, reason) it sent."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    except ConnectionClosed as exc:
        rcvd = exc.rcvd
    assert rcvd is not None
    return rcvd.code, rcvd.reason


async def test_quote_and_signal_from_the_pipeline_arrive(server: tuple[str, Any], db: Database) -> None:
    url, app = server
    services = app.state.api.services
    async with connect(f"{url}?api_key={READ_KEY}") as ws:
        await ws.send(json.dumps({"action": "subscribe", "kinds": ["quote", "signal"], "symbols": ["aapl"]}))
        assert (await _next(ws, "subscribed"))["data"]["topics"] == ["quote:AAPL", "signal:AAPL"]
        inst = await services.resolver.resolve("AAPL")
        await services.quotes.refresh_quotes([inst])  # the scheduler's update_prices job
        quote = await _next(ws, "quote")
        assert quote["symbol"] == "AAPL"
        assert quote["data"]["price"] > 0
        outbox = _Counting()
        bars = await services.repos.bars.list_bars("AAPL")
        spike = replace(bars[-1], volume=bars[-1].volume * 50)  # a volume spike on the last bar
        pipeline = SignalPipeline(
            services.repos,
            BusNotifier(outbox, services.bus),
            lambda: SignalEngine(signal_config(load_settings())),
        )
        await pipeline.process({"AAPL": [*bars[:-1], spike]})
        signal = await _next(ws, "signal")
        assert signal["symbol"] == "AAPL"
        assert signal["data"]["signal"] in {e.signal for e in outbox.events}


async def test_bad_clients_are_closed_with_a_reason(server: tuple[str, Any]) -> None:
    url, _ = server
    async with connect(url) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
    for message, code, words in [
        (json.dumps({"action": "subscribe", "kinds": ["trades"], "symbols": ["AAPL"]}), 1008, "trades"),
        ("x" * 5000, 1009, "too large"),
        ("not json", 1008, "JSON"),
    ]:
        async with connect(f"{url}?api_key={READ_KEY}") as ws:
            await ws.send(message)
            got = await _closed(ws)
        assert got == (code, got[1])
        assert words in got[1]


async def test_slow_client_dropped_others_served(server: tuple[str, Any]) -> None:
    """A client that stops reading is closed once its unsent frames pass the limit (frames go straight
    to its socket: api/wsframes.py); the others are served on."""
    url, app = server
    bus = app.state.api.services.bus
    async with connect(f"{url}?api_key={READ_KEY}") as slow, connect(f"{url}?api_key={READ_KEY}") as fast:
        for ws, symbol in ((slow, "MSFT"), (fast, "AAPL")):
            await ws.send(json.dumps({"action": "subscribe", "kinds": ["quote"], "symbols": [symbol]}))
            await _next(ws, "subscribed")
        pad = "x" * 65536  # 400 x 64 KiB: more than the socket buffers hold for a client that reads nothing
        for i in range(400):
            bus.publish("quote:MSFT", {"price": float(i), "pad": pad})
        assert (await _closed(slow))[0] == 4008
        assert bus.subscribers("quote:MSFT") == 0
        bus.publish("quote:AAPL", {"price": 42.0})
        assert (await _next(fast, "quote"))["data"]["price"] == 42.0


async def test_heartbeats_while_quiet(server: tuple[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_route, "HEARTBEAT_S", 0.2)
    url, _ = server
    async with connect(f"{url}?api_key={READ_KEY}") as ws:
        await ws.send(json.dumps({"action": "subscribe", "kinds": ["quote"], "symbols": ["AAPL"]}))
        beats = [await _next(ws, "heartbeat") for _ in range(2)]
    stamps = [datetime.fromisoformat(b["ts"]) for b in beats]
    assert all(ts.utcoffset() is not None for ts in stamps)
    assert stamps[0] < stamps[1]


async def test_frames_of_every_length_class_arrive_intact(server: tuple[str, Any]) -> None:
    """Quotes go out as frames encoded once and written straight to the socket (api/wsframes.py): the
    7-bit, 16-bit and 64-bit length forms must each parse in a standard client, in order."""
    url, app = server
    bus = app.state.api.services.bus
    async with connect(f"{url}?api_key={READ_KEY}") as ws:
        await ws.send(json.dumps({"action": "subscribe", "kinds": ["quote"], "symbols": ["AAPL"]}))
        await _next(ws, "subscribed")
        pads = ["", "y" * 100, "한" * 300, "z" * 70_000]
        for i, pad in enumerate(pads):
            bus.publish("quote:AAPL", {"price": float(i), "pad": pad})
        got = [await _next(ws, "quote") for _ in pads]
    want = [(float(i), pad) for i, pad in enumerate(pads)]
    assert [(m["data"]["price"], m["data"]["pad"]) for m in got] == want
