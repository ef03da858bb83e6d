"""Serialised responses kept a few seconds per process (bars of 10 years: a database read of 2,520
rows and 2,520 models each time otherwise), with their ETag and, once asked for, a gzip body."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

MAX_ENTRIES = 512


@dataclass(slots=True)
class Cached:
    payload: bytes
    etag: str
    at: float
    gzipped: bytes | None = field(default=None)

    def gzip(self) -> bytes:
        """The payload gzip-compressed (level 6), computed once."""
        if self.gzipped is None:
            self.gzipped = gzip.compress(self.payload, compresslevel=6, mtime=0)
        return self.gzipped


def etag_of(payload: bytes) -> str:
    return '"' + hashlib.blake2b(payload, digest_size=16).hexdigest() + '"'


class ResponseCache:
    """Entries live `ttl_s` seconds (0 turns the cache off); the oldest go first past MAX_ENTRIES."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl = ttl_s
        self._entries: dict[Hashable, Cached] = {}
        self._making: dict[Hashable, asyncio.Future[Cached]] = {}

    async def get_or_make(self, key: Hashable, make: Callable[[], Awaitable[bytes]]) -> Cached:
        """The fresh entry, else one `make()` for all who ask at once (no stampede when an entry of
        10-year bars expires under 256 concurrent requests); its error goes to each of them."""
        hit = self.get(key)
        if hit is not None:
            return hit
        pending = self._making.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Cached] = asyncio.get_running_loop().create_future()
        self._making[key] = future
        try:
            entry = self.put(key, await make())
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        else:
            future.set_result(entry)
        finally:
            del self._making[key]
        return entry

    def get(self, key: Hashable) -> Cached | None:
        hit = self._entries.get(key)
        if hit is None or time.monotonic() - hit.at >= self._ttl:
            return None
        return hit

    def put(self, key: Hashable, payload: bytes) -> Cached:
        entry = Cached(payload, etag_of(payload), time.monotonic())
        if self._ttl > 0:
            self._entries.pop(key, None)
            self._entries[key] = entry
            while len(self._entries) > MAX_ENTRIES:
                del self._entries[next(iter(self._entries))]
        return entry
