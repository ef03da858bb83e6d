"""The fake Bot API server in its own process for `bench/bot.py --subscribers N` (so its CPU is not
this process's), with Telegram's limits (30/s free, `paid_per_s` paid) unless lifted, and `rtt_s` of
network round trip played on each send (0: loopback)."""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import resource
from multiprocessing.process import BaseProcess

from tests.fakes.fake_telegram import FakeTelegram

FREE_LIMIT = 30.0
PAID_LIMIT = 1000.0


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _serve(conn: multiprocessing.connection.Connection, paid_per_s: float, rtt_s: float) -> None:
    async def main() -> None:
        async with FakeTelegram(overall_per_s=FREE_LIMIT, paid_per_s=paid_per_s, rtt_s=rtt_s) as tg:
            conn.send((tg.token, tg.base_url, tg.port, cpu_s()))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
            sent = [(s.at, s.chat_id, s.params.get("allow_paid_broadcast") == "true") for s in tg.sent]
            conn.send((sent, tg.count_429(), len(tg.violations), cpu_s()))

    asyncio.run(main())


def start_server(
    paid_per_s: float = PAID_LIMIT, rtt_s: float = 0.0
) -> tuple[BaseProcess, multiprocessing.connection.Connection]:
    """The server process and its pipe: recv() gives (token, base_url, port, its CPU seconds so far);
    after send("stop"), recv() gives ([(accepted at, chat id, paid)], 429 answers, limit violations,
    its CPU seconds)."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(child, paid_per_s, rtt_s), daemon=True
    )
    server.start()
    return server, parent
