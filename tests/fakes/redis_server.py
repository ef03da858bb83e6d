"""A real redis-server for the test session: 127.0.0.1, a free port, a temporary directory.

The server runs with `appendonly yes` / `appendfsync always` (the configuration docs/scaleout.md asks
for), so `restart()` after `kill()` (SIGKILL) brings the same streams and consumer groups back on
the same port, as a production server restarted after a crash would.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

logger = logging.getLogger(__name__)
START_TIMEOUT_S = 30.0


def find_redis_server() -> str | None:
    """The redis-server binary (FINSIGNAL_TEST_REDIS_SERVER names it explicitly), or None."""
    explicit = os.environ.get("FINSIGNAL_TEST_REDIS_SERVER", "").strip()
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/bin:/usr/sbin:/usr/local/bin"
    return shutil.which("redis-server", path=path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisTestServer:
    """One private redis-server; `url` reaches it. `kill()`/`restart()` play a crash and a recovery."""

    def __init__(self, binary: str) -> None:
        self._binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="finsignal-redis-"))
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def flush(self) -> None:
        """Empty the server (between tests)."""
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
        try:
            client.flushall()
        finally:
            client.close()

    def start(self) -> None:
        log = self.root / "redis.log"
        self._process = subprocess.Popen(
            [self._binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.root),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile", str(log),
             "--daemonize", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _ping(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-1500:] if log.exists() else "(no log)"
                self.kill()
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{tail}")
            time.sleep(0.05)
        logger.info("redis test server on 127.0.0.1:%s (dir %s)", self.port, self.root)

    def kill(self) -> None:
        """SIGKILL the server (a crash: no shutdown save; the append-only file keeps what was written)."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)
            self._process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def start_redis() -> RedisTestServer:
    """Start a private redis-server; raises RuntimeError when none is installed or it cannot start."""
    binary = find_redis_server()
    if binary is None:
        raise RuntimeError("no redis-server binary found (install the Debian package redis-server)")
    server = RedisTestServer(binary)
    server.start()
    return server
