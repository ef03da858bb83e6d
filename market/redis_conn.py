"""Connecting to Redis (issue 20): one client per process from `FINSIGNAL_REDIS_URL`, the URL masked
for logs, and the reconnect backoff the event bus and the hot tier share.

The client does not retry by itself (`Retry(NoBackoff(), 0)`): callers decide, so a Redis outage
never stalls a request for more than the connect timeout.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 10.0  # above the bus's blocking read (1 s)


def connect(url: str) -> Redis:
    """A client for `url` (redis:// or rediss://); connections open lazily, so this never fails on an
    unreachable server."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=READ_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=30,
    )


def mask(url: str) -> str:
    """redis://:secret@host:6379/0 -> redis://***@host:6379/0 (for logs and health reports)."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def mask_url(client: Redis) -> str:
    """Where `client` connects, without credentials: 'host:port/db'."""
    kw = client.connection_pool.connection_kwargs
    return f"{kw.get('host', '?')}:{kw.get('port', '?')}/{kw.get('db', 0)}"


class Backoff:
    """0.1 s doubling to `cap_s` between attempts; `reset()` after a success."""

    def __init__(self, first_s: float = 0.1, cap_s: float = 5.0) -> None:
        self._first, self._cap, self._next = first_s, cap_s, first_s

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self._cap)
        return delay

    def reset(self) -> None:
        self._next = self._first
