"""KIS's real-time execution feed (WebSocket, `H0STCNT0`) turned into 1-minute candles.

Facts from shared/SOURCES.md section 7.5: an approval key from `POST /oauth2/Approval` (field
`secretkey`), one subscription message per stock (`tr_type` 1), at most 40 subscriptions a session
(the next is refused with `OPSP0008`), a `PINGPONG` keep-alive to echo, and data frames
`0|H0STCNT0|<count>|<fields ^-joined>`: 46 fields a record, several records back to back (code,
HHMMSS, price at 0-2, the execution's volume at 12, the business date at 33, the halt flag at 35).

`parse_frame` and `CandleBuilder` are pure; `KisExecutionFeed` is the connection. A candle closes when
an execution of a later minute arrives for that stock, or at `flush(now)` once its minute has ended
(a quiet stock). The approval key is a secret: never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import websockets

from core.types import Bar, Interval

logger = logging.getLogger(__name__)

KST = ZoneInfo("Asia/Seoul")
TR_ID = "H0STCNT0"
WIDTH = 46  # fields of one execution record
MAX_SUBSCRIPTIONS = 40
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Execution:
    code: str
    ts: datetime  # aware UTC, to the second
    price: float
    volume: float
    halted: bool = False


def parse_frame(text: str) -> list[Execution]:
    """The executions of one data frame; ValueError for a frame that is not a plain H0STCNT0 frame."""
    parts = text.split("|", 3)
    if len(parts) != 4 or parts[1] != TR_ID:
        raise ValueError(f"not an {TR_ID} frame: {text[:40]!r}")
    if parts[0] != "0":
        raise ValueError(f"encrypted {TR_ID} frame (not used for executions)")
    count = int(parts[2])
    fields = parts[3].split("^")
    if count < 1 or len(fields) < count * WIDTH:
        raise ValueError(f"{TR_ID} frame with {len(fields)} fields for {count} records")
    out = []
    for k in range(count):
        rec = fields[k * WIDTH : (k + 1) * WIDTH]
        local = datetime.strptime(rec[33] + rec[1], "%Y%m%d%H%M%S").replace(tzinfo=KST)
        price, volume = float(rec[2]), float(rec[12])
        if not (price > 0 and volume >= 0):
            raise ValueError(f"{TR_ID} record of {rec[0]} with price {rec[2]!r}, volume {rec[12]!r}")
        out.append(Execution(rec[0], local.astimezone(UTC), price, volume, rec[35] == "Y"))
    return out


@dataclass(slots=True)
class _Forming:
    start: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float

    def bar(self, symbol: str) -> Bar:
        return Bar(symbol, Interval.M1, self.start, self.open, self.high, self.low, self.close,
                   self.volume, source="kis-ws")  # fmt: skip


@dataclass
class CandleBuilder:
    """Executions -> 1-minute bars labelled by the minute's start (like KIS's minute bars)."""

    symbol_of: Callable[[str], str] = lambda code: f"{code}.KS"
    late: int = 0  # executions of a minute already closed (ignored)
    _forming: dict[str, _Forming] = field(default_factory=dict)

    def add(self, ex: Execution) -> list[Bar]:
        """Take one execution; returns the bar it closed, if any."""
        start = ex.ts.replace(second=0, microsecond=0)
        cur = self._forming.get(ex.code)
        closed: list[Bar] = []
        if cur is not None and start < cur.start:
            self.late += 1
            return closed
        if cur is not None and start > cur.start:
            closed.append(cur.bar(self.symbol_of(ex.code)))
            cur = None
        if cur is None:
            self._forming[ex.code] = _Forming(start, ex.price, ex.price, ex.price, ex.price, ex.volume)
        else:
            cur.high, cur.low = max(cur.high, ex.price), min(cur.low, ex.price)
            cur.close, cur.volume = ex.price, cur.volume + ex.volume
        return closed

    def flush(self, now: datetime) -> list[Bar]:
        """Bars whose minute has ended by `now` (stocks that went quiet)."""
        done = [code for code, f in self._forming.items() if f.start + _MINUTE <= now]
        return [self._forming.pop(code).bar(self.symbol_of(code)) for code in sorted(done)]


@dataclass
class FeedStats:
    subscribed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    executions: int = 0
    bars: int = 0
    malformed: int = 0
    pongs: int = 0


class KisExecutionFeed:
    """One WebSocket session: subscribe (up to the limit), echo keep-alives, hand closed bars on."""

    def __init__(self, base_url: str, ws_url: str, app_key: str, app_secret: str, *,
                 http: httpx.AsyncClient, on_bars: Callable[[list[Bar]], Awaitable[None]],
                 max_subscriptions: int = MAX_SUBSCRIPTIONS) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.ws_url = ws_url
        self._key, self._secret = app_key, app_secret
        self._http = http
        self.on_bars = on_bars
        self.max_subscriptions = max_subscriptions
        self.builder = CandleBuilder()
        self.stats = FeedStats()

    async def approval_key(self) -> str:
        body = {"grant_type": "client_credentials", "appkey": self._key, "secretkey": self._secret}
        resp = await self._http.post(f"{self.base_url}/oauth2/Approval", json=body)
        resp.raise_for_status()
        key = resp.json().get("approval_key")
        if not isinstance(key, str) or not key:
            raise ValueError("KIS approval answer without approval_key")
        return key

    async def run(self, codes: Sequence[str], stop: asyncio.Event) -> FeedStats:
        """Subscribe `codes` (watched first: the first `max_subscriptions` are taken) and build candles
        until `stop` is set; the forming candles are flushed then."""
        key = await self.approval_key()
        async with websockets.connect(self.ws_url) as ws:
            for code in codes[: self.max_subscriptions]:
                await ws.send(json.dumps(_subscribe(key, code)))
            for code in codes[self.max_subscriptions :]:
                self.stats.refused[code] = "over the session's subscription limit (not asked)"
            stopping = asyncio.ensure_future(stop.wait())
            try:
                while not stop.is_set():
                    receiving = asyncio.ensure_future(ws.recv())
                    done, _ = await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    if receiving not in done:
                        receiving.cancel()
                        break
                    await self._on_message(ws, receiving.result())
            finally:
                stopping.cancel()
        await self._emit(self.builder.flush(datetime.max.replace(tzinfo=UTC)))
        return self.stats

    async def _on_message(self, ws: websockets.ClientConnection, raw: str | bytes) -> None:
        text = raw.decode() if isinstance(raw, bytes) else raw
        if text.startswith("{"):
            await self._on_control(ws, text)
            return
        try:
            executions = parse_frame(text)
        except ValueError as exc:
            self.stats.malformed += 1
            logger.warning("kis-ws: skipped a frame: %s", exc)
            return
        closed: list[Bar] = []
        for ex in executions:
            self.stats.executions += 1
            closed += self.builder.add(ex)
        await self._emit(closed)

    async def _on_control(self, ws: websockets.ClientConnection, text: str) -> None:
        msg = json.loads(text)
        header, body = msg.get("header", {}), msg.get("body", {})
        if header.get("tr_id") == "PINGPONG":
            await ws.send(text)
            self.stats.pongs += 1
            return
        code = str(header.get("tr_key", ""))
        if body.get("rt_cd") == "0":
            self.stats.subscribed.append(code)
        elif body:
            self.stats.refused[code] = f"{body.get('msg_cd', '')} {body.get('msg1', '')}".strip()
            logger.warning("kis-ws: subscription of %s refused: %s", code, self.stats.refused[code])

    async def _emit(self, bars: list[Bar]) -> None:
        if bars:
            self.stats.bars += len(bars)
            await self.on_bars(bars)


def _subscribe(key: str, code: str) -> dict[str, object]:
    header = {"approval_key": key, "custtype": "P", "tr_type": "1", "content-type": "utf-8"}
    return {"header": header, "body": {"input": {"tr_id": TR_ID, "tr_key": code}}}
