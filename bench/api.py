"""Market Data API throughput (~1 minute): `finsignal api` in its own process, on SQLite with 10 years
of daily bars, against a naive endpoint served in the same run that reads the database (key and
latest bar) on every request.

    .venv/bin/python bench/api.py [--seconds 5] [--workers 1] [--load wrk|httpx] [--clients 4]

Load comes from Debian's `wrk` (C, epoll; `apt-get install wrk`) when it is installed, else from
`--clients` Python processes (asyncio + httpx keep-alive connections, split evenly: these spend more
CPU than the server, so their figures are a floor). Either way the load generator shares the 2 cores
with the server. Prints req/s, p50 and p99 and errors (non-200 answers, socket errors) for
/v1/quotes/{symbol}, the naive quote endpoint and /v1/bars/{symbol} (2,520 bars) at 64 and 256
connections. WebSocket fan-out: `bench/api_stream.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from api.auth import hash_secret  # noqa: E402
from core.types import Bar, Interval  # noqa: E402
from storage import Database  # noqa: E402

KEY = "fsk_bench-key-000000000000000000000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seed(url: str) -> None:
    db = await Database.open(url)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    bars = [Bar("SPY", Interval.D1, start + timedelta(days=i), 100 + i % 7, 101 + i % 7, 99, 100 + i % 5, 1e6)
            for i in range(2520)]  # fmt: skip
    await db.repos.bars.upsert_bars(bars)
    await db.repos.apikeys.add_key("bench", KEY[:8], hash_secret(KEY), True, datetime.now(UTC))
    await db.close()


def client(base: str, path: str, conns: int, seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    async def run() -> tuple[list[float], int]:
        lat: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
        async with httpx.AsyncClient(base_url=base, limits=limits, headers={"X-API-Key": KEY}) as c:
            stop = time.perf_counter() + seconds

            async def loop() -> None:
                nonlocal errors
                while time.perf_counter() < stop:
                    t0 = time.perf_counter()
                    try:
                        r = await c.get(path, timeout=30)
                        ok = r.status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    lat.append(time.perf_counter() - t0)
                    errors += not ok

            await asyncio.gather(*(loop() for _ in range(conns)))
        return lat, errors

    out.put(asyncio.run(run()))


def measure_wrk(base: str, path: str, conns: int, seconds: float) -> str:
    """wrk with 2 threads (one a core) and `conns` keep-alive connections."""
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s",
           "-H", f"X-API-Key: {KEY}", base + path]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    found = dict(re.findall(r"^\s*(50|99)%\s+([\d.]+\w+)\s*$", out, re.M))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    p50, p99 = _ms(found["50"]), _ms(found["99"])
    return f"{rate:8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  errors {errors}"


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def measure(base: str, path: str, conns: int, clients: int, seconds: float) -> str:
    out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    procs = [
        mp.Process(target=client, args=(base, path, conns // clients, seconds, out)) for _ in range(clients)
    ]
    for p in procs:
        p.start()
    lat: list[float] = []
    errors = 0
    for _ in procs:
        got, err = out.get()
        lat += got
        errors += err
    for p in procs:
        p.join()
    lat.sort()
    p50, p99 = lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3
    return f"{len(lat) / seconds:8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  errors {errors}"


def settle(base: str) -> None:
    """Wait until the server has worked off the last phase's queued requests (at most 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        httpx.get(f"{base}/healthz", timeout=60)
        if time.perf_counter() - t0 < 0.05:
            return


def naive_app() -> object:
    """`finsignal api`'s app plus the naive reference: the key and the latest bars read from the
    database on every request (what an API without the hot cache and key cache does)."""
    from fastapi import Header

    from core.settings import load_settings
    from finsignal.webapi import build_asgi_app

    app = build_asgi_app(load_settings())

    @app.get("/bench/naive/{symbol}")
    async def naive(symbol: str, x_api_key: str = Header()) -> dict[str, object]:
        repos = app.state.api.services.repos
        key = await repos.apikeys.get_by_hash(hash_secret(x_api_key))
        if key is None:
            return {"error": "unauthorized"}
        bars = await repos.bars.list_bars(symbol, Interval.D1, limit=2)
        last, prev = bars[-1], bars[-2]
        return {
            "symbol": symbol,
            "price": last.close,
            "change": last.close - prev.close,
            "ts": last.ts.isoformat(),
        }

    return app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--load", choices=["wrk", "httpx"], default="wrk" if shutil.which("wrk") else "httpx")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        asyncio.run(seed(url))
        port = free_port()
        env = {**os.environ, "FINSIGNAL_DATABASE_URL": url, "FINSIGNAL_API_RATE_PER_MINUTE": "100000000",
               "FINSIGNAL_LOG_LEVEL": "WARNING", "FINSIGNAL_YAHOO_BASE_URL": "http://127.0.0.1:9",
               "FINSIGNAL_QUOTE_MAX_AGE_S": "100000"}  # fmt: skip
        cmd = [sys.executable, "-m", "uvicorn", "bench.api:naive_app", "--factory", "--port", str(port),
               "--workers", str(args.workers), "--no-access-log", "--log-level", "warning"]  # fmt: skip
        server = subprocess.Popen(cmd, env=env, cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            httpx.get(f"{base}/v1/quotes/SPY", headers={"X-API-Key": KEY}, timeout=30)  # warm the cache
            for conns in (64, 256):
                load = "wrk -t2" if args.load == "wrk" else f"{args.clients} httpx client processes"
                print(f"--- {conns} connections, load from {load}, {args.workers} worker(s)")
                for label, path in (
                    ("quotes (hot cache)  ", "/v1/quotes/SPY"),
                    ("naive (DB each time)", "/bench/naive/SPY"),
                    ("bars 10y (2,520)    ", "/v1/bars/SPY"),
                ):
                    settle(base)
                    if args.load == "wrk":
                        figures = measure_wrk(base, path, conns, args.seconds)
                    else:
                        figures = measure(base, path, conns, args.clients, args.seconds)
                    print(f"{label}  {figures}", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
