"""Our limits: per-chat spacing, sliding windows held until completion, per-chat command rate."""

from __future__ import annotations

import asyncio
import time

from bot.ratelimit import ChatSpacing, CommandLimiter, SlidingWindow


async def test_sliding_window_never_lets_more_than_limit_into_a_period() -> None:
    window = SlidingWindow(5, 0.2)
    spans: list[tuple[float, float]] = []

    async def call() -> None:
        async with window.slot():
            start = time.monotonic()
            await asyncio.sleep(0.01)
            spans.append((start, time.monotonic()))

    t0 = time.monotonic()
    await asyncio.gather(*(call() for _ in range(15)))
    assert time.monotonic() - t0 >= 0.4  # 15 calls, 5 per 0.2 s after completion
    starts = sorted(s for s, _ in spans)
    ends = sorted(e for _, e in spans)
    for k in range(5, 15):  # the k-th start waited for the (k-5)-th completion + period
        assert starts[k] >= ends[k - 5] + 0.2 - 1e-3


async def test_chat_spacing_per_key() -> None:
    spacing = ChatSpacing(0.15)
    stamps: dict[str, list[float]] = {"a": [], "b": []}

    async def send(key: str) -> None:
        async with spacing.slot(key):
            stamps[key].append(time.monotonic())

    t0 = time.monotonic()
    await asyncio.gather(send("a"), send("a"), send("b"))
    assert stamps["a"][1] - stamps["a"][0] >= 0.15
    assert stamps["b"][0] - t0 < 0.1  # another chat is not held up


def test_command_limiter_window_and_single_warning() -> None:
    now = [0.0]
    limiter = CommandLimiter(3, clock=lambda: now[0])
    assert [limiter.allow(1) for _ in range(4)] == [True, True, True, False]
    assert limiter.warn_once(1)
    assert not limiter.warn_once(1)
    assert limiter.allow(2)
    now[0] = 60.5
    assert limiter.allow(1)
    assert limiter.warn_once(1) is True  # warned again only after being allowed in between
