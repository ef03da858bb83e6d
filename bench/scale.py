"""Scale-out over Redis (issue 20), ~1 minute: two real API workers (`finsignal run --role api`, uvicorn)
on one redis-server and one SQLite database, on 127.0.0.1.

1. Events: the collector's bus (`RedisEventBus`, as `finsignal run --role collector` publishes) sends
   quote events at `--rate` per second for `--seconds`; `--clients` WebSocket clients per worker are
   subscribed to every symbol. Prints events/s published, messages/s received, and end-to-end latency
   collector -> Redis -> worker -> client (p50/p99; one clock, one host). Goal: p99 < 50 ms at 1,000/s.
2. Reads: GET /v1/quotes/SYMBOL by `--concurrency` clients for `--read-seconds` against a worker with
   the hot tier filled (L1 + Redis), and, as the reference in the same run, against a worker whose Redis
   is unreachable, the database path every API process falls back to (quotes from the stored bars).
   Goal: hot tier >= 5x.

    .venv/bin/python bench/scale.py [--rate 1000] [--seconds 5] [--clients 4] [--symbols 50]

Needs Debian's redis-server (`make test-deps`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.auth import hash_secret  # noqa: E402
from core.types import Bar, Interval, Market, Quote  # noqa: E402
from market.hot_quotes import RedisQuoteTier  # noqa: E402
from market.quotes import CachedQuote  # noqa: E402
from market.redis_bus import RedisEventBus  # noqa: E402
from market.redis_conn import connect as redis_connect  # noqa: E402
from market.resolver import make_instrument  # noqa: E402
from storage import Database  # noqa: E402
from tests.fakes.redis_server import start_redis  # noqa: E402
from tests.scaleout.processes import free_port  # noqa: E402

KEY = "fsk_bench-key-for-scale-0000000000000"


def symbols(n: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [f"Q{letters[i // 26 % 26]}{letters[i % 26]}" for i in range(n)]


async def seed(url: str, names: list[str]) -> None:
    db = await Database.open(url, migrate=True)
    try:
        await db.repos.instruments.upsert_instruments([make_instrument(s, Market.US, s) for s in names])
        t0 = datetime(2025, 1, 2, tzinfo=UTC)
        for s in names:
            await db.repos.bars.upsert_bars(
                [Bar(s, Interval.D1, t0 + timedelta(days=i), 100, 101, 99, 100 + i % 7, 1e6, source="yahoo")
                 for i in range(300)]
            )  # fmt: skip
        await db.repos.apikeys.add_key("bench", KEY[:8], hash_secret(KEY), False, datetime.now(UTC))
    finally:
        await db.close()


def start_api(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "finsignal", "run", "--role", "api"],
            env={**env, "FINSIGNAL_API_PORT": str(port)},
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # a busy machine starts Python processes slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"API worker did not start; see {log}")


async def client(url: str, names: list[str], latencies: list[float], ready: asyncio.Event) -> None:
    ws: ClientConnection
    async with connect(url.replace("http://", "ws://") + f"/v1/stream?api_key={KEY}") as ws:
        await ws.send(json.dumps({"action": "subscribe", "kinds": ["quote"], "symbols": names}))
        while json.loads(await ws.recv())["type"] != "subscribed":
            pass
        ready.set()
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "quote":
                latencies.append(time.time() - msg["data"]["sent"])


async def events(urls: list[str], redis_url: str, names: list[str], rate: int, seconds: float,
                 per_worker: int) -> None:  # fmt: skip
    """Each worker's clients share the symbols out, so every event reaches one client per worker."""
    latencies: list[float] = []
    readies = [asyncio.Event() for _ in range(per_worker * len(urls))]
    tasks = [
        asyncio.create_task(client(url, names[k::per_worker], latencies, readies[w * per_worker + k]))
        for w, url in enumerate(urls)
        for k in range(per_worker)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
    bus = RedisEventBus(redis_connect(redis_url), consumer="bench-collector", ephemeral=True)
    await bus.start(read=False)
    total = int(rate * seconds)
    expected = total * len(urls)
    lags: list[float] = []
    monitor = asyncio.create_task(loop_lag(lags))
    t0 = time.perf_counter()
    for n in range(total):
        due = t0 + n / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        bus.publish(f"quote:{names[n % len(names)]}", {"price": 100.0 + n % 10, "sent": time.time()})
    sent_s = time.perf_counter() - t0
    deadline = time.perf_counter() + 30
    while len(latencies) < expected and time.perf_counter() < deadline:
        if any(t.done() for t in tasks):
            break
        await asyncio.sleep(0.05)
    for task in (*tasks, monitor):
        task.cancel()
    await asyncio.gather(*tasks, monitor, return_exceptions=True)
    await bus.close()
    latencies.sort()
    received = len(latencies)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(received * 0.99)] * 1000
    print(f"events: {total / sent_s:,.0f} events/s published for {sent_s:.1f} s to {len(readies)} WebSocket "
          f"clients over {len(urls)} API workers; {received:,} of {expected:,} received")  # fmt: skip
    print(f"  collector -> redis -> worker -> client: p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal p99 < 50 ms)")
    await redis_leg(redis_url)
    lags.sort()
    lag50, lag99 = statistics.median(lags) * 1000, lags[int(len(lags) * 0.99)] * 1000
    print(f"    bench process (publisher + clients) event-loop lag: p50 {lag50:.1f} ms, p99 {lag99:.1f} ms")


async def loop_lag(lags: list[float]) -> None:
    """How late a 5 ms sleep wakes in this process: a message that arrived waits as long to be read."""
    while True:
        t = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - t - 0.005)


async def redis_leg(redis_url: str) -> None:
    """Where the time goes: each stream entry's id is Redis's clock (ms) when the XADD ran, so
    entry id - `sent` is the collector -> Redis leg; the rest is worker + client (same host clock)."""
    client = redis_connect(redis_url)
    try:
        entries = await client.xrange("finsignal:events:quote", count=1_000_000)
    finally:
        await client.aclose()
    legs = sorted(
        int(entry_id.split("-")[0]) / 1000 - json.loads(fields["data"])["sent"]
        for entry_id, fields in entries
    )
    if legs:
        p50, p99 = statistics.median(legs) * 1000, legs[int(len(legs) * 0.99)] * 1000
        print(f"    of which collector -> redis (XADD, ms clock): p50 {p50:.1f} ms, p99 {p99:.1f} ms")


async def reads(url: str, names: list[str], seconds: float, concurrency: int) -> tuple[float, float, str]:
    times: list[float] = []
    sources: set[str] = set()
    async with httpx.AsyncClient(headers={"X-API-Key": KEY}, timeout=30) as http:
        stop = time.perf_counter() + seconds

        async def one(k: int) -> None:
            i = k
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = await http.get(f"{url}/v1/quotes/{names[i % len(names)]}")
                times.append(time.perf_counter() - t)
                sources.add(r.json().get("source", f"HTTP {r.status_code}"))
                i += concurrency

        t0 = time.perf_counter()
        await asyncio.gather(*(one(k) for k in range(concurrency)))
        total = time.perf_counter() - t0
    times.sort()
    return len(times) / total, times[int(len(times) * 0.99)] * 1000, ",".join(sorted(sources))


def wrk_reads(url: str, symbol: str, seconds: float, conns: int) -> tuple[float, float, str]:
    """Debian's `wrk` (2 threads) on one symbol's quote: (req/s, p99 ms, 'wrk')."""
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--latency", "-H",
           f"X-API-Key: {KEY}", f"{url}/v1/quotes/{symbol}"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"^\s*99%\s+([\d.]+)(\w+)\s*$", out, re.M).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rate, p99, f"wrk, one symbol ({symbol})"


async def service_reads(db_url: str, redis_url: str, names: list[str], n: int) -> None:
    """The same reads without HTTP: `MarketData.quote` as an API process runs it (fetch=False)."""
    from core.settings import load_settings
    from market import MarketData

    settings = load_settings(database_url=db_url)
    db = await Database.open(db_url, migrate=False)
    client = redis_connect(redis_url)
    insts = [make_instrument(s, Market.US, s) for s in names]
    rates = {}
    try:
        for label, hot in (("hot tier", RedisQuoteTier(client, ttl_s=3600)), ("database", None)):
            market = MarketData(settings, db.repos, hot=hot, fetch=False)
            t0 = time.perf_counter()
            for i in range(n):
                await market.quote(insts[i % len(insts)])
            rates[label] = n / (time.perf_counter() - t0)
            await market.close()
    finally:
        await client.aclose()
        await db.close()
    print(f"  in-process MarketData.quote, {n:,} reads: hot tier {rates['hot tier']:,.0f}/s, database "
          f"{rates['database']:,.0f}/s: {rates['hot tier'] / rates['database']:.0f}x")  # fmt: skip


async def fill_hot_tier(redis_url: str, names: list[str]) -> None:
    client = redis_connect(redis_url)
    tier = RedisQuoteTier(client, ttl_s=3600)
    now = datetime.now(UTC)
    for s in names:
        await tier.put(CachedQuote(Quote(s, 101.0, now, "yahoo", prev_close=100.0), now))
    await client.aclose()


async def run(args: argparse.Namespace, tmp: Path, redis_url: str) -> None:
    names = symbols(args.symbols)
    db_url = f"sqlite+aiosqlite:///{tmp / 'scale.db'}"
    await seed(db_url, names)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINSIGNAL_")}
    env.update(FINSIGNAL_DATABASE_URL=db_url, FINSIGNAL_REDIS_URL=redis_url, FINSIGNAL_DATA_DIR=str(tmp),
               FINSIGNAL_API_RATE_PER_MINUTE="100000000", FINSIGNAL_LOG_LEVEL="WARNING")  # fmt: skip
    down = {**env, "FINSIGNAL_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}  # nothing listens there
    procs: list[subprocess.Popen[bytes]] = []
    try:
        started = await asyncio.gather(
            asyncio.to_thread(start_api, env, tmp / "api-1.log"),
            asyncio.to_thread(start_api, env, tmp / "api-2.log"),
            asyncio.to_thread(start_api, down, tmp / "api-db.log"),
        )
        procs += [p for p, _ in started]
        (_, url_1), (_, url_2), (_, url_db) = started
        await events([url_1, url_2], redis_url, names, args.rate, args.seconds, args.clients)
        await fill_hot_tier(redis_url, names)
        await reads(url_1, names, 1.0, args.concurrency)  # warm both (L1 filled, connections open)
        await reads(url_db, names, 1.0, args.concurrency)
        if shutil.which("wrk"):  # C load: the Python client would cap both paths at its own speed
            hot = wrk_reads(url_1, names[0], args.read_seconds, args.concurrency)
            cold = wrk_reads(url_db, names[0], args.read_seconds, args.concurrency)
        else:
            hot = await reads(url_1, names, args.read_seconds, args.concurrency)
            cold = await reads(url_db, names, args.read_seconds, args.concurrency)
        print(
            f"reads, {args.concurrency} concurrent clients, GET /v1/quotes/SYMBOL over {len(names)} symbols:"
        )
        print(f"  hot tier (L1 + Redis): {hot[0]:8,.0f} req/s  p99 {hot[1]:6.1f} ms  ({hot[2]})")
        print(f"  database path (Redis down, stored bars): {cold[0]:8,.0f} req/s  p99 {cold[1]:6.1f} ms  "
              f"({cold[2]})")  # fmt: skip
        print(f"  hot tier / database: {hot[0] / cold[0]:.1f}x (goal >= 5x)")
        await service_reads(db_url, redis_url, names, 2000)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=int, default=1000, help="quote events per second")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4, help="WebSocket clients per API worker")
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--read-seconds", type=float, default=5.0)
    args = parser.parse_args()
    server = start_redis()
    print("load average before: {:.1f} {:.1f} {:.1f} ({} CPUs)".format(*os.getloadavg(), os.cpu_count()))
    try:
        with tempfile.TemporaryDirectory(prefix="finsignal-scale-") as tmp:
            asyncio.run(run(args, Path(tmp), server.url))
        print("load average after: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
