"""A tiny local HTTP endpoint serving the health report as Prometheus text (GET /metrics) or JSON."""

from __future__ import annotations

import asyncio
import json
import logging

from scheduler.health import prometheus_text
from scheduler.host import HealthReporter

logger = logging.getLogger(__name__)


class MetricsServer:
    """Plain asyncio HTTP/1.0 server: /metrics (Prometheus text), /health (JSON). Local only by default."""

    def __init__(self, runtime: HealthReporter, host: str, port: int) -> None:
        self._rt = runtime
        self.host, self.port = host, port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._handle, self.host, self.port)
        except OSError as exc:
            logger.error("metrics endpoint not started on %s:%d: %s", self.host, self.port, exc)
            return
        self.port = self._server.sockets[0].getsockname()[1]
        logger.info("metrics on http://%s:%d/metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=5)
            parts = line.decode("latin-1").split()
            path = parts[1] if len(parts) >= 2 else ""
            while (await asyncio.wait_for(reader.readline(), timeout=5)).strip():
                pass
            if path.startswith("/metrics"):
                body = prometheus_text(await self._rt.health_report()).encode()
                status, ctype = "200 OK", "text/plain; version=0.0.4"
            elif path.startswith("/health"):
                body = json.dumps(await self._rt.health_report(), default=str).encode()
                status, ctype = "200 OK", "application/json"
            else:
                body, status, ctype = b"not found\n", "404 Not Found", "text/plain"
            head = f"HTTP/1.0 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        except Exception:
            logger.exception("metrics request failed")
        finally:
            writer.close()
