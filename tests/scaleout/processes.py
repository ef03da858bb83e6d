"""Real finsignal processes on loopback for the scale-out tests: API workers (uvicorn), collectors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from tests.fakes.fake_sources import FakeSources

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(database_url: str, redis_url: str, fake: FakeSources, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINSIGNAL_")}
    env.update(
        FINSIGNAL_DATABASE_URL=database_url,
        FINSIGNAL_REDIS_URL=redis_url,
        FINSIGNAL_DATA_DIR=str(data_dir),
        FINSIGNAL_CATCH_UP_HOURS="0",  # no missed bar jobs at start: the test decides what happens
        FINSIGNAL_LOG_LEVEL="INFO",
    )
    for name, value in fake.settings_overrides().items():
        env[f"FINSIGNAL_{name.upper()}"] = str(value)
    return env


@dataclass
class Proc:
    """A finsignal process whose log (stderr) goes to a file."""

    popen: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, words: str, timeout_s: float = 240.0) -> float:
        """Seconds until `words` appear in the log."""
        t0 = time.monotonic()
        while words not in self.text():
            if self.popen.poll() is not None:
                raise AssertionError(f"process exited {self.popen.returncode}:\n{self.text()[-3000:]}")
            if time.monotonic() - t0 > timeout_s:
                raise AssertionError(f"{words!r} not logged in {timeout_s}s:\n{self.text()[-3000:]}")
            time.sleep(0.02)
        return time.monotonic() - t0

    def kill9(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self) -> int | None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=30)
        return self.popen.returncode


def start(env: dict[str, str], log: Path, *args: str, **extra: str) -> Proc:
    full = {**env, **extra}
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "finsignal", *args], env=full, cwd=ROOT, stdout=out, stderr=out
        )
    return Proc(popen, log)


def start_api(env: dict[str, str], log: Path) -> tuple[Proc, str]:
    """`finsignal run --role api` on a free port, once /healthz answers; (process, base URL)."""
    port = free_port()
    proc = start(env, log, "run", "--role", "api", FINSIGNAL_API_PORT=str(port))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # a busy machine starts Python processes slowly
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.popen.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"API worker did not start:\n{proc.text()[-3000:]}")
        time.sleep(0.1)


async def next_of(ws: ClientConnection, kind: str, timeout_s: float = 30.0) -> dict[str, Any]:
    import asyncio

    async with asyncio.timeout(timeout_s):
        while True:
            msg: dict[str, Any] = json.loads(await ws.recv())
            if msg["type"] == kind:
                return msg
