"""API keys: generation, hashing, lookup with a short in-memory cache, and per-key rate limits."""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from core.ports import ApiKeyRepo
from core.types import ApiKey

KEY_PREFIX = "fsk_"
CACHE_TTL_S = 30.0  # a revoked key stops working within this long in every worker


def new_secret() -> str:
    """A fresh API key: `fsk_` + 32 random URL-safe characters."""
    return KEY_PREFIX + secrets.token_urlsafe(24)


def hash_secret(secret: str) -> str:
    """SHA-256 hex of the key: what is stored and looked up (the key itself has 192 random bits)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyCache:
    """Looks keys up by hash, remembering answers (found or not) for `CACHE_TTL_S` seconds."""

    def __init__(self, repo: ApiKeyRepo, ttl_s: float = CACHE_TTL_S) -> None:
        self._repo, self._ttl = repo, ttl_s
        self._seen: dict[str, tuple[float, ApiKey | None]] = {}
        self._asking: dict[str, asyncio.Task[ApiKey | None]] = {}

    async def lookup(self, secret: str) -> ApiKey | None:
        """One database read for concurrent lookups of the same key (5,000 WebSocket clients
        connecting at once with one key took the whole connection pool before)."""
        digest = hash_secret(secret)
        hit = self._seen.get(digest)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        task = self._asking.get(digest)
        if task is None:
            task = self._asking[digest] = asyncio.ensure_future(self._read(digest))
        return await asyncio.shield(task)

    async def _read(self, digest: str) -> ApiKey | None:
        try:
            key = await self._repo.get_by_hash(digest)
        finally:
            del self._asking[digest]
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[digest] = (time.monotonic(), key)
        return key


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """A token bucket per key: `per_minute` requests a minute, bursts up to the same number."""

    def __init__(self, per_minute: int) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> int:
        """0 when the request may go on, else the seconds to wait (for Retry-After)."""
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._capacity, now)
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - bucket.tokens) / self._rate))
