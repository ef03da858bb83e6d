"""api.cache: entries live their TTL, concurrent misses make the response once, errors reach all."""

from __future__ import annotations

import asyncio

import pytest

from api.cache import ResponseCache


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
