"""api.cache: entries live their TTL, concurrent misses make the response once, errors reach all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from api.auth import KeyCache, hash_secret
from api.cache import ResponseCache
from core.types import ApiKey


async def test_one_make_for_concurrent_misses_then_reuse_until_ttl() -> None:
    made: list[int] = []

    async def make() -> bytes:
        made.append(1)
        await asyncio.sleep(0.05)
        return b'{"n": %d}' % len(made)

    cache = ResponseCache(ttl_s=0.3)
    entries = await asyncio.gather(*(cache.get_or_make("k", make) for _ in range(50)))
    assert len(made) == 1
    assert {e.payload for e in entries} == {b'{"n": 1}'}
    assert entries[0].etag.startswith('"')
    assert len(entries[0].etag) == 34
    assert (await cache.get_or_make("k", make)).payload == b'{"n": 1}'
    await asyncio.sleep(0.35)
    assert (await cache.get_or_make("k", make)).payload == b'{"n": 2}'
    assert entries[0].gzip() is entries[0].gzip()  # compressed once


async def test_errors_reach_every_waiter_and_are_not_cached() -> None:
    calls: list[int] = []

    async def broken() -> bytes:
        calls.append(1)
        await asyncio.sleep(0.05)
        raise RuntimeError("database down")

    cache = ResponseCache(ttl_s=10)
    results = await asyncio.gather(
        *(cache.get_or_make("k", broken) for _ in range(5)), return_exceptions=True
    )
    assert len(calls) == 1
    assert all(isinstance(r, RuntimeError) for r in results)
    with pytest.raises(RuntimeError):
        await cache.get_or_make("k", broken)
    assert len(calls) == 2


async def test_ttl_zero_never_keeps() -> None:
    cache = ResponseCache(ttl_s=0)
    n = [0]

    async def make() -> bytes:
        n[0] += 1
        return b"x"

    await cache.get_or_make("k", make)
    await cache.get_or_make("k", make)
    assert n[0] == 2


async def test_concurrent_key_lookups_read_the_database_once() -> None:
    """5,000 WebSocket clients connecting with one key must not take the whole connection pool."""
    reads: list[str] = []

    class Repo:
        async def get_by_hash(self, digest: str) -> ApiKey | None:
            reads.append(digest)
            await asyncio.sleep(0.05)
            return ApiKey(digest, "fsk_abcd", False, datetime.now(UTC))

    cache = KeyCache(Repo())  # type: ignore[arg-type]
    keys = await asyncio.gather(*(cache.lookup("fsk_secret") for _ in range(500)))
    assert len(reads) == 1
    assert {k.name for k in keys if k is not None} == {hash_secret("fsk_secret")}
    await cache.lookup("fsk_secret")
    assert len(reads) == 1  # then from the cache
