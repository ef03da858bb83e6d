"""A WebSocket server on 127.0.0.1 (random port) playing KIS's real-time feed as shared/SOURCES.md 7.5
documents it: subscriptions acked `SUBSCRIBE SUCCESS` up to `limit` (then `OPSP0008 MAX SUBSCRIBE
OVER`), a `PINGPONG` keep-alive the client must echo, and scripted `H0STCNT0` data frames."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from types import TracebackType

from websockets.asyncio.server import Server, ServerConnection, serve

from market.sources.kis_ws import KST, WIDTH


def record(code: str, at: datetime, price: float, volume: float, *, halted: bool = False) -> list[str]:
    """One execution as 46 `^` fields (the ones a client reads filled, the rest zeros)."""
    local = at.astimezone(KST)
    rec = ["0"] * WIDTH
    rec[0], rec[1], rec[2], rec[12] = code, local.strftime("%H%M%S"), f"{price:g}", f"{volume:g}"
    rec[33], rec[35] = local.strftime("%Y%m%d"), "Y" if halted else "N"
    return rec


def frame(*records: list[str]) -> str:
    return f"0|H0STCNT0|{len(records):03d}|" + "^".join(f for r in records for f in r)


class FakeKisWs:
    def __init__(self, frames: list[str], *, limit: int = 41) -> None:
        self.frames = frames
        self.limit = limit
        self.subscribed: list[str] = []
        self.approval_keys: set[str] = set()
        self.pongs = 0
        self._server: Server | None = None

    async def __aenter__(self) -> FakeKisWs:
        self._server = await serve(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/tryitout"

    async def _handle(self, ws: ServerConnection) -> None:
        wanted = 0
        try:
            async with asyncio.timeout(0.3):  # the subscriptions come first
                while True:
                    msg = json.loads(await ws.recv())
                    wanted += 1
                    code = msg["body"]["input"]["tr_key"]
                    self.approval_keys.add(msg["header"]["approval_key"])
                    header = {"tr_id": "H0STCNT0", "tr_key": code, "encrypt": "N"}
                    if len(self.subscribed) < self.limit:
                        self.subscribed.append(code)
                        body = {"rt_cd": "0", "msg_cd": "OPSP0000", "msg1": "SUBSCRIBE SUCCESS"}
                    else:
                        body = {"rt_cd": "1", "msg_cd": "OPSP0008", "msg1": "MAX SUBSCRIBE OVER"}
                    await ws.send(json.dumps({"header": header, "body": body}))
        except TimeoutError:
            pass
        ping = json.dumps({"header": {"tr_id": "PINGPONG", "datetime": "20261123100000"}})
        await ws.send(ping)
        if await ws.recv() == ping:
            self.pongs += 1
        for text in self.frames:
            await ws.send(text)
        await ws.wait_closed()
