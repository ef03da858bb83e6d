"""`bench/bot.py --subscribers N`, the same-run references for the paid-broadcast path.

(r) the fake Bot API server's own capacity: a lean client (raw keep-alive HTTP/1.1 over asyncio
    streams, as many connections as the sender has sends in flight, one request each at a time) sends
    paid `sendMessage` requests to the server in its own process, with its limits lifted, the same
    round trip played; requests/s it accepted and its CPU per request.
    A stand-in that could not take 1,000/s would hide the client's figure.
(q) python-telegram-bot alone: `ExtBot.send_message` with `allow_paid_broadcast`, no rate limiter and
    no outbox, C in flight, over aiohttp (`bot.fastrequest.AiohttpRequest`, what the sender uses with
    paid broadcast on) and over PTB's stock `HTTPXRequest`: sends/s and this process's CPU per send.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot_server import cpu_s, start_server
from telegram.ext import ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from bot.fastrequest import AiohttpRequest

BODY = b"chat_id=%d&text=%%3Cb%%3EKAU25%%3C%%2Fb%%3E+RSI+oversold&parse_mode=HTML&allow_paid_broadcast=true"


def make_request(http: str, pool: int) -> BaseRequest:
    return HTTPXRequest(connection_pool_size=pool) if http == "httpx" else AiohttpRequest(pool)


async def _lean(port: int, token: str, n: int, conns: int) -> None:
    ids = iter(range(30_000_001, 30_000_001 + n))
    head = b"POST /bot%s/sendMessage HTTP/1.1\r\nHost: 127.0.0.1\r\n" % token.encode()
    head += b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for chat_id in ids:
            body = BODY % chat_id
            writer.write(head % len(body) + body)
            answer = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in answer.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(connection() for _ in range(conns)))


async def server_capacity(n: int, conns: int, rtt_s: float = 0.0) -> float:
    server, conn = start_server(paid_per_s=1e9, rtt_s=rtt_s)
    token, _, port, cpu_ready = conn.recv()
    t0 = time.perf_counter()
    await _lean(port, token, n, conns)
    wall = time.perf_counter() - t0
    conn.send("stop")
    sent, refused, _, cpu_end = conn.recv()
    server_cpu = cpu_end - cpu_ready
    server.join(10)
    rate = n / wall
    print(
        f"(r) the fake Bot API server alone, {n:,} paid sendMessage from a lean client ({conns} keep-alive "
        f"connections, round trip {rtt_s * 1000:g} ms): {rate:,.0f} requests/s accepted ({len(sent):,} sent, "
        f"{refused} refused), "
        f"its CPU {server_cpu / n * 1e6:.0f} us per request: "
        f"{'OK, above the 1,000/s paid bound' if rate > 1200 else 'the stand-in may be the limit'}"
    )
    return rate


async def client_alone(n: int, concurrency: int, http: str, rtt_s: float = 0.0) -> float:
    server, conn = start_server(paid_per_s=1e9, rtt_s=rtt_s)
    token, base_url, _, _ = conn.recv()
    bot: ExtBot[Any] = ExtBot(token, base_url=base_url, request=make_request(http, concurrency))
    await bot.initialize()
    gate = asyncio.Semaphore(concurrency)

    async def one(chat_id: int) -> None:
        async with gate:
            await bot.send_message(
                chat_id, "<b>KAU25</b> RSI oversold", parse_mode="HTML", allow_paid_broadcast=True
            )

    c0, t0 = cpu_s(), time.perf_counter()
    await asyncio.gather(*(one(c) for c in range(40_000_001, 40_000_001 + n)))
    cpu, wall = cpu_s() - c0, time.perf_counter() - t0
    await bot.shutdown()
    conn.send("stop")
    conn.recv()
    server.join(10)
    print(
        f"(q) PTB alone over {http:<7}, {n:,} paid sends, {concurrency} in flight: {n / wall:,.0f}/s, "
        f"{cpu / n * 1e6:,.0f} us CPU per send in this process (round trip {rtt_s * 1000:g} ms)"
    )
    return n / wall
