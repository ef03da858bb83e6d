"""WS /v1/stream: live quotes, signal events and closed bars for the symbols a client names.

The client authenticates with `?api_key=` (browsers cannot set headers on a WebSocket) or X-API-Key,
then sends `{"action": "subscribe", "kinds": ["quote", "signal"], "symbols": ["AAPL", "KAU"]}`
(`"unsubscribe"` likewise; `"bar"` is a kind too, not subscribed by default).
The server sends `{"type": "quote"|"signal"|"bar", "symbol": ..., "data": {...}}`
as updates happen and `{"type": "heartbeat", "ts": ...}` every `HEARTBEAT_S` seconds.

Closes: 4401 no or bad key; 1009 message too large; 1008 unknown action or kind, or not JSON;
1011 the database failed (try again);
4008 the client reads too slowly (its queue of `QUEUE` messages filled up, or `RAW_BUFFER` bytes of
frames wait in its socket): the others never wait.

Quotes and signals go out as frames encoded once per message and written straight to each client's
socket (`api.wsframes`) while nothing else waits in that client's queue; replies, errors and
heartbeats go through ASGI.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.deps import ApiState
from api.wsframes import RawSocket, text_frame
from core.errors import FinsignalError, SymbolError
from core.timeutil import utcnow

logger = logging.getLogger(__name__)
router = APIRouter(tags=["stream"])
UNAVAILABLE = 1011  # the database or a source failed: try again
KINDS = {"quote", "signal", "bar"}
MAX_MESSAGE = 4096  # bytes a client may send at once
MAX_SYMBOLS = 200
QUEUE = 256
HEARTBEAT_S = 15.0
SLOW = 4008
RAW_BUFFER = 256 * 1024  # bytes of unsent frames a client may have before it counts as too slow


class _Encoded:
    """A published message encoded once for all its subscribers (the bus calls each in turn with
    the same object; it is held here, so its id cannot be reused while it is the last one)."""

    last: tuple[object, str, str, bytes] | None = None

    @classmethod
    def _get(cls, topic: str, message: dict[str, object]) -> tuple[object, str, str, bytes]:
        last = cls.last
        if last is not None and last[0] is message and last[1] == topic:
            return last
        kind, _, symbol = topic.partition(":")
        text = json.dumps({"type": kind, "symbol": symbol, "data": message})
        cls.last = last = (message, topic, text, text_frame(text.encode()))
        return last

    @classmethod
    def of(cls, topic: str, message: dict[str, object]) -> str:
        return cls._get(topic, message)[2]

    @classmethod
    def frame(cls, topic: str, message: dict[str, object]) -> bytes:
        return cls._get(topic, message)[3]


class _Client:
    def __init__(self, ws: WebSocket, state: ApiState) -> None:
        self.ws, self.state = ws, state
        self.queue: asyncio.Queue[dict[str, Any] | str] = asyncio.Queue(QUEUE)
        self.subscriptions: dict[str, int] = {}  # topic -> bus subscription
        self.slow = False
        self.raw = RawSocket.of(ws.scope)

    def deliver(self, topic: str, message: dict[str, object]) -> None:
        raw = self.raw
        if raw is not None and not self.slow and self.queue.empty():  # in order: nothing waits
            if not raw.open:
                return  # closing: the reader sees the disconnect
            if raw.buffered > RAW_BUFFER:
                self._too_slow()
            else:
                raw.write(_Encoded.frame(topic, message))
            return
        try:
            self.queue.put_nowait(_Encoded.of(topic, message))
        except asyncio.QueueFull:
            self._too_slow()

    def _too_slow(self) -> None:
        self.slow = True
        idle, self.queue = self.queue, asyncio.Queue(1)  # the writer sees the flag at once
        for queue in (self.queue, idle):  # `idle`: wakes a writer waiting on the old, empty queue
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait({"type": "_slow"})

    def close_all(self) -> None:
        bus = self.state.services.bus
        if bus is not None:
            for sid in self.subscriptions.values():
                bus.unsubscribe(sid)
        self.subscriptions.clear()


async def _authorised(ws: WebSocket, state: ApiState) -> bool:
    secret = ws.query_params.get("api_key") or ws.headers.get("x-api-key")
    if not secret:
        return False
    key = await state.keys.lookup(secret)
    return key is not None and key.active


async def _writer(client: _Client) -> None:
    while True:
        if not client.queue.empty():  # a backlog: no timer a message (wait_for costs one each)
            item = client.queue.get_nowait()
        else:
            try:
                item = await asyncio.wait_for(client.queue.get(), HEARTBEAT_S)
            except TimeoutError:
                item = {"type": "heartbeat", "ts": utcnow().isoformat()}
        if client.slow:
            await client.ws.close(SLOW, "client too slow: messages were not read in time")
            return
        await client.ws.send_text(item if isinstance(item, str) else json.dumps(item))


async def _handle(client: _Client, raw: str) -> str | None:
    """Apply one client message; returns a close reason for a bad one."""
    if len(raw.encode("utf-8")) > MAX_MESSAGE:
        return "1009:message too large (at most 4096 bytes)"
    try:
        msg = json.loads(raw)
    except ValueError:
        return "1008:messages must be JSON"
    if not isinstance(msg, dict) or msg.get("action") not in ("subscribe", "unsubscribe"):
        return "1008:unknown action (subscribe or unsubscribe)"
    kinds, symbols = msg.get("kinds", ["quote", "signal"]), msg.get("symbols", [])
    if not isinstance(kinds, list) or not isinstance(symbols, list):
        return "1008:kinds and symbols must be lists"
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        return f"1008:unknown subscription kind {unknown[0]!r} (quote, signal, bar)"
    services = client.state.services
    resolved: list[str] = []
    for text in symbols[:MAX_SYMBOLS]:
        try:
            resolved.append((await services.resolver.resolve(str(text))).symbol)
        except SymbolError as exc:
            client.queue.put_nowait({"type": "error", "symbol": str(text), "data": {
                "code": "unknown_symbol", "message": f"{exc.symbol}: {exc.reason}",
                "suggestions": list(exc.suggestions)}})  # fmt: skip
    bus = services.bus
    for topic in (f"{k}:{s}" for k in kinds for s in resolved):
        if msg["action"] == "subscribe" and topic not in client.subscriptions and bus is not None:
            client.subscriptions[topic] = bus.subscribe([topic], client.deliver)
        elif msg["action"] == "unsubscribe" and topic in client.subscriptions and bus is not None:
            bus.unsubscribe(client.subscriptions.pop(topic))
    client.queue.put_nowait({"type": "subscribed", "data": {"topics": sorted(client.subscriptions)}})
    return None


@router.websocket("/stream")
async def stream(ws: WebSocket) -> None:
    state: ApiState = ws.app.state.api
    await ws.accept()  # then close with a code and reason a browser can read (a refused handshake has none)
    try:
        allowed = await _authorised(ws, state)
    except FinsignalError as exc:
        logger.warning("stream: key lookup failed: %s", type(exc).__name__)
        await ws.close(UNAVAILABLE, "the service is unavailable; try again shortly")
        return
    if not allowed:
        await ws.close(4401, "an API key is required (?api_key= or X-API-Key)")
        return
    client = _Client(ws, state)
    writer = asyncio.create_task(_writer(client))
    try:
        while not writer.done():
            reader = asyncio.ensure_future(ws.receive_text())
            done, _ = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            if reader not in done:
                reader.cancel()
                break
            try:
                reason = await _handle(client, reader.result())
            except FinsignalError as exc:
                logger.warning("stream: subscription failed: %s", type(exc).__name__)
                reason = f"{UNAVAILABLE}:the service is unavailable; try again shortly"
            if reason is not None:
                code, _, text = reason.partition(":")
                await ws.close(int(code), text)
                break
    except WebSocketDisconnect:
        pass
    finally:
        client.close_all()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writer
