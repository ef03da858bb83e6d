"""Keys from the command line, a real uvicorn process on 127.0.0.1, rate limits, CORS, no secrets out."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest

from finsignal.webapi import build_asgi_app
from storage import Database
from tests.api.conftest import ADMIN_KEY, READ_KEY, seed, settings_for
from tests.fakes.fake_sources import FakeSources


def _env(db: Database, fake: FakeSources) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINSIGNAL_")}
    env["FINSIGNAL_DATABASE_URL"] = db.url.render_as_string(hide_password=False)
    for name, value in fake.settings_overrides().items():
        env[f"FINSIGNAL_{name.upper()}"] = str(value)
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "finsignal", *args], env=env, capture_output=True, text=True, timeout=120
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(db: Database, fake_sources: FakeSources) -> Iterator[tuple[str, dict[str, str]]]:
    env = _env(db, fake_sources)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "finsignal", "api", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"uvicorn did not start: {out[-2000:]}")
            time.sleep(0.2)
        yield base, env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_cli_key_against_a_real_uvicorn_process(
    db: Database, served: tuple[str, dict[str, str]]
) -> None:
    await seed(db)
    base, env = served
    made = _cli(env, "apikey", "create", "dashboard")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("fsk_")
    assert _cli(env, "apikey", "create", "dashboard").returncode == 2  # the name is taken
    listed = _cli(env, "apikey", "list")
    assert "dashboard" in listed.stdout
    assert secret not in listed.stdout
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:  # 2 shared cores, 8 sessions
        quote = await client.get("/v1/quotes/AAPL", headers={"X-API-Key": secret})
        assert quote.status_code == 200, quote.text
        assert quote.json()["symbol"] == "AAPL"
        bars = await client.get("/v1/bars/AAPL", headers={"Authorization": f"Bearer {secret}"})
        assert len(bars.json()["bars"]) > 300
        assert (await client.get("/readyz")).json()["database"] == "ok"
    assert _cli(env, "apikey", "revoke", "dashboard").returncode == 0
    assert _cli(env, "apikey", "revoke", "dashboard").returncode == 2
    assert "revoked" in _cli(env, "apikey", "list").stdout


async def test_rate_limit_429_with_retry_after(db: Database, fake_sources: FakeSources) -> None:
    await seed(db)
    settings = settings_for(db, fake_sources, api_rate_per_minute=3, api_cors_origins="http://dash.example")
    app = build_asgi_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            codes = [(await client.get(path, headers={"X-API-Key": READ_KEY})).status_code
                     for path in ("/v1/quotes/AAPL", "/v1/quotes/APPL.XX", "/v1/ratings/AAPL",
                                  "/v1/quotes/AAPL")]  # fmt: skip
            assert codes == [200, 404, 200, 429]  # one token a request, the hot-quote path's too
            limited = await client.get("/v1/ratings/AAPL", headers={"X-API-Key": READ_KEY})
            assert int(limited.headers["retry-after"]) >= 1
            assert limited.json()["error"]["code"] == "rate_limited"
            other = await client.get("/v1/ratings/AAPL", headers={"X-API-Key": ADMIN_KEY})
            assert other.status_code == 200  # per key
            cors = await client.options(
                "/v1/ratings/AAPL",
                headers={"Origin": "http://dash.example", "Access-Control-Request-Method": "GET"},
            )
            assert cors.headers["access-control-allow-origin"] == "http://dash.example"
            foreign = await client.get("/healthz", headers={"Origin": "http://evil.example"})
            assert "access-control-allow-origin" not in foreign.headers


async def test_crash_gives_the_error_shape_without_detail(
    db: Database, fake_sources: FakeSources, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(db)
    app = build_asgi_app(settings_for(db, fake_sources))
    async with app.router.lifespan_context(app):

        async def broken(*_: object, **__: object) -> object:
            raise RuntimeError(f"secret {READ_KEY} in a message")

        app.state.api.services.repos.ratings.list_ratings = broken
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            r = await client.get("/v1/ratings/AAPL", headers={"X-API-Key": READ_KEY})
    assert r.status_code == 500
    message = "the request failed; it has been logged"
    assert r.json() == {"error": {"code": "internal_error", "message": message}}
    assert READ_KEY not in caplog.text
    assert "Traceback" not in r.text


def test_run_role_api_serves_on_the_configured_port(sqlite_db: Database, fake_sources: FakeSources) -> None:
    env = _env(sqlite_db, fake_sources)
    port = _free_port()
    env["FINSIGNAL_API_PORT"] = str(port)
    proc = subprocess.Popen([sys.executable, "-m", "finsignal", "run", "--role", "api"], env=env)
    try:
        for _ in range(300):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert response.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/v1/quotes/AAPL").status_code == 401
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) in (0, -15)  # uvicorn re-raises SIGTERM after a clean shutdown


def test_workers_runs_n_processes_on_one_port(sqlite_db: Database, fake_sources: FakeSources) -> None:
    """`finsignal api --workers 2`: two uvicorn worker processes serve the one listening port."""
    env = _env(sqlite_db, fake_sources)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "finsignal", "api", "--port", str(port), "--workers", "2"],
                            env=env)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        serving: list[psutil.Process] = []
        while len(serving) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
            serving = [
                child
                for child in psutil.Process(proc.pid).children(recursive=True)
                if _answers_on(child, port)
            ]
        assert len(serving) == 2, serving
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).json() == {"status": "ok"}
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in serving)


def _answers_on(child: psutil.Process, port: int) -> bool:
    """A spawned worker holding the listening socket (not the parent, not the resource tracker)."""
    try:
        listening = any(
            c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
            for c in child.net_connections(kind="tcp")
        )
        return listening and "spawn_main" in " ".join(child.cmdline())
    except psutil.Error:
        return False
