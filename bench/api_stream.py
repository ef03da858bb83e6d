"""WS /v1/stream fan-out (~1 minute): N subscribed clients (default 5,000, from 4 client processes),
p50/p99 time from a quote published on the event bus to its arrival at each client. The server
(uvicorn, one process) runs here; reference measured in the same run: the same with 100 clients.
`--client raw` (default): the lean load generator of `bench/ws_rawclient.py`; `--client websockets`:
the `websockets` library's client (its own cost per message sets much of the tail at 5,000).

    .venv/bin/python bench/api_stream.py [--clients 5000] [--rounds 10] [--client raw|websockets]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from api.auth import hash_secret  # noqa: E402
from core.settings import load_settings  # noqa: E402
from finsignal.webapi import build_asgi_app  # noqa: E402
from storage import Database  # noqa: E402

sys.path.append(str(ROOT / "bench"))  # after the project: bench/api.py must not shadow the api package
import ws_rawclient  # noqa: E402

KEY = "fsk_bench-key-000000000000000000000"


def clients(url: str, n: int, rounds: int, ready: mp.Queue, out: mp.Queue) -> None:  # type: ignore[type-arg]
    async def one(lat: list[float], subscribed: asyncio.Event, counter: list[int]) -> None:
        try:
            await receive(lat, subscribed, counter)
        except Exception as exc:  # a client dropped or timed out: counted, the run goes on
            failures.append(type(exc).__name__)
            counter[0] += 1
            if counter[0] == n:
                subscribed.set()

    failures: list[str] = []

    async def receive(lat: list[float], subscribed: asyncio.Event, counter: list[int]) -> None:
        async with connect(url, max_queue=None, open_timeout=120) as ws:
            await ws.send(json.dumps({"action": "subscribe", "kinds": ["quote"], "symbols": ["SPY"]}))
            got = 0
            while got < rounds:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 120))
                if msg["type"] == "subscribed":
                    counter[0] += 1
                    if counter[0] == n:
                        subscribed.set()
                elif msg["type"] == "quote":
                    lat.append(time.time() - msg["data"]["sent"])
                    got += 1

    async def run() -> None:
        lat: list[float] = []
        subscribed = asyncio.Event()
        counter = [0]
        tasks = [asyncio.create_task(one(lat, subscribed, counter)) for _ in range(n)]
        await subscribed.wait()
        ready.put(n)
        await asyncio.gather(*tasks)
        out.put((lat, len(failures)))

    asyncio.run(run())


async def fanout(app: object, url: str, total: int, rounds: int, procs: int, client: str = "raw") -> str:
    ready: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    share = max(total // procs, 1)
    target = ws_rawclient.run if client == "raw" else clients
    ps = [mp.Process(target=target, args=(url, share, rounds, ready, out)) for _ in range(procs)]
    for p in ps:
        p.start()
    for _ in ps:
        await asyncio.to_thread(ready.get)
    bus = app.state.api.services.bus  # type: ignore[attr-defined]
    for i in range(rounds):
        bus.publish("quote:SPY", {"symbol": "SPY", "price": 100.0 + i, "sent": time.time()})
        await asyncio.sleep(0.5)
    lat: list[float] = []
    failed = 0
    for _ in ps:
        got, fails = await asyncio.to_thread(out.get)
        lat += got
        failed += fails
    for p in ps:
        p.join()
    lat.sort()
    return (f"{share * procs:5d} clients: {len(lat)} deliveries, p50 {lat[len(lat) // 2] * 1e3:6.1f} ms, "
            f"p99 {lat[int(len(lat) * 0.99)] * 1e3:6.1f} ms, clients failed {failed}")  # fmt: skip


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--client", choices=("raw", "websockets"), default="raw")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        db = await Database.open(url)
        await db.repos.apikeys.add_key("bench", KEY[:8], hash_secret(KEY), False, datetime.now(UTC))
        await db.close()
        app = build_asgi_app(load_settings(database_url=url, log_level="WARNING"))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        server = uvicorn.Server(
            uvicorn.Config(app, port=port, log_config=None, backlog=8192, ws_max_queue=64)
        )
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        ws_url = f"ws://127.0.0.1:{port}/v1/stream?api_key={KEY}"
        print(f"client: {args.client}; load average {os.getloadavg()}", flush=True)
        print("reference", await fanout(app, ws_url, 100, args.rounds, 1, args.client), flush=True)
        print("fan-out  ", await fanout(app, ws_url, args.clients, args.rounds, 4, args.client), flush=True)
        server.should_exit = True
        await task


if __name__ == "__main__":
    asyncio.run(main())
