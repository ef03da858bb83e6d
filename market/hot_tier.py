"""The Redis hot tier beyond quotes (issue 20): recent intraday bars, investor flows, indicator
summaries. One small L1 per process in front (`L1`), emptied key by key by `hot:<kind>:<symbol>`
events on the bus, so a read usually costs no network round trip.

Redis layout (TTL per kind, from settings):
- `finsignal:bars:<symbol>:<interval>`: a sorted set of JSON bars scored by epoch seconds, holding every
  bar from `...:since` on (the window: the last `redis_bars_hours` hours; trimmed at each write);
- `finsignal:flows:<symbol>`: JSON list of the latest sessions of net buying (oldest first);
- `finsignal:ind:<symbol>`: JSON of the latest indicator values.

Redis errors never escape: a failed read is a miss (the caller asks the database), a failed write
is logged once per outage.
"""

from __future__ import annotations

import bisect
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from redis import exceptions as rexc
from redis.asyncio import Redis

from core.types import Bar, Interval, InvestorFlow
from market.redis_conn import mask_url

logger = logging.getLogger(__name__)
_DOWN = (rexc.RedisError, OSError)
PREFIX = "finsignal:"


# The window in one bulk reply ("since\nmember\nscore\n..."): redis-py parses a reply of 2N items
# in Python, about 25 times slower than splitting one string (bench/hot_tier.py).
_WINDOW = """
local since = redis.call('GET', KEYS[2])
if not since then return false end
local items = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
table.insert(items, 1, since)
return table.concat(items, '\\n')
"""


class L1:
    """Per-process copies by key. `invalidate` bumps the key's generation, so a Redis read that was
    in flight when a newer value was announced is answered but not kept."""

    def __init__(self, max_keys: int = 50_000) -> None:
        self._values: dict[str, Any] = {}
        self._gen: dict[str, int] = {}
        self._max = max_keys
        self.hits = self.misses = 0

    def get(self, key: str) -> Any:
        value = self._values.get(key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def generation(self, key: str) -> int:
        return self._gen.get(key, 0)

    def keep(self, key: str, value: Any, generation: int) -> None:
        if self._gen.get(key, 0) != generation:
            return
        if len(self._values) >= self._max:
            self._values.clear()
        self._values[key] = value

    def invalidate(self, key: str) -> None:
        self._values.pop(key, None)
        self._gen[key] = self._gen.get(key, 0) + 1


class HotTier:
    """JSON values and bar windows in Redis with per-kind TTLs, behind an L1."""

    def __init__(
        self,
        client: Redis,
        *,
        bars_ttl_s: float,
        bars_hours: float,
        flows_ttl_s: float,
        indicators_ttl_s: float,
        publish: Callable[[str, dict[str, object]], None] | None = None,
    ) -> None:
        self._client, self._publish = client, publish
        self.bars_window_s = bars_hours * 3600.0
        self._ttl_ms = {
            "bars": int(bars_ttl_s * 1000),
            "flows": int(flows_ttl_s * 1000),
            "ind": int(indicators_ttl_s * 1000),
        }
        self.l1 = L1()
        self._window_script = client.register_script(_WINDOW)
        self._dirty: set[str] = set()  # windows a failed write left incomplete: deleted when Redis answers
        self.up = True
        self.errors = 0

    # ---- invalidation ------------------------------------------------------------------------

    def on_event(self, topic: str, _message: dict[str, object]) -> None:
        """`hot:<kind>:<symbol>[:<interval>]` from another process: drop the L1 copy."""
        self.l1.invalidate(PREFIX + topic.partition(":")[2])

    def on_bar(self, topic: str, message: dict[str, object]) -> None:
        """`bar:<symbol>` (a closed bar another process stored): drop the L1 window of its interval,
        and the indicator summary on a daily bar."""
        symbol, interval = topic.partition(":")[2], str(message.get("interval", ""))
        self.l1.invalidate(f"{PREFIX}bars:{symbol}:{interval}")
        if interval == "1d":
            self.l1.invalidate(f"{PREFIX}ind:{symbol}")

    def _announce(self, name: str) -> None:
        self.l1.invalidate(PREFIX + name)
        if self._publish is not None:
            self._publish(f"hot:{name}", {})

    # ---- JSON values (flows, indicators) -----------------------------------------------------

    async def get_json(self, name: str) -> Any:
        key = PREFIX + name
        cached = self.l1.get(key)
        if cached is not None:
            return cached
        gen = self.l1.generation(key)
        raw = await self._call(self._client.get(key))
        if raw is None:
            return None
        value = json.loads(raw)
        self.l1.keep(key, value, gen)
        return value

    async def put_json(self, kind: str, name: str, value: Any) -> None:
        await self._call(self._client.set(PREFIX + name, json.dumps(value), px=self._ttl_ms[kind]))
        self._announce(name)

    async def drop(self, names: Sequence[str]) -> None:
        if names:
            await self._call(self._client.delete(*[PREFIX + n for n in names]))
            for name in names:
                self._announce(name)

    # ---- bar windows -------------------------------------------------------------------------

    async def bar_window(self, symbol: str, interval: Interval) -> BarWindow | None:
        """Every bar from the window's `since` on, or None when Redis holds no window."""
        name = f"bars:{symbol}:{interval}"
        key = PREFIX + name
        if key in self._dirty:  # this process failed to write it: the database answers until rebuilt
            return None
        cached = self.l1.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        gen = self.l1.generation(key)
        raw = await self._call(self._window_script(keys=[key, key + ":since"]))
        if not raw:
            return None
        parts = (raw.decode() if isinstance(raw, bytes) else str(raw)).split("\n")
        window = BarWindow(
            symbol, float(parts[0]), list(zip(parts[1::2], map(float, parts[2::2]), strict=True))
        )
        self.l1.keep(key, window, gen)
        return window

    async def put_bars(
        self,
        symbol: str,
        interval: Interval,
        bars: Sequence[Bar],
        now: datetime,
        seed: Callable[[datetime], Awaitable[list[Bar]]],
    ) -> None:
        """Add or replace `bars` in the window, trim it to the last `bars_hours` hours; a symbol with no
        window yet is first seeded with the stored bars of those hours (`seed(since)`)."""
        key = PREFIX + f"bars:{symbol}:{interval}"
        if self._dirty:
            stale = [*self._dirty, *[k + ":since" for k in self._dirty]]
            if await self._call(self._client.delete(*stale)) is not None:
                for name in self._dirty:
                    self._announce(name.removeprefix(PREFIX))
                self._dirty.clear()
        cutoff = now.timestamp() - self.bars_window_s
        since_raw = await self._call(self._client.get(key + ":since"))
        if since_raw is None:
            if not self.up:
                self._dirty.add(key)
                return
            bars = [*await seed(datetime.fromtimestamp(cutoff, UTC)), *bars]
            since = cutoff
        else:
            since = max(float(since_raw), cutoff)
        fresh = {b.ts.timestamp(): b for b in bars if b.ts.timestamp() >= since}
        ttl = self._ttl_ms["bars"]
        async with self._client.pipeline(transaction=True) as pipe:
            for score in fresh:
                pipe.zremrangebyscore(key, score, score)
            if fresh:
                pipe.zadd(key, {_encode_bar(bar): score for score, bar in fresh.items()})
            pipe.zremrangebyscore(key, "-inf", f"({since}")
            pipe.set(key + ":since", repr(since), px=ttl)
            pipe.pexpire(key, ttl)
            if await self._call(pipe.execute()) is None:
                self._dirty.add(key)  # the window may now lack these bars: it must not be trusted
                return
        self._announce(f"bars:{symbol}:{interval}")

    # ---- plumbing ----------------------------------------------------------------------------

    async def _call(self, pending: Awaitable[Any]) -> Any:
        try:
            result = await pending
        except _DOWN as exc:
            self._state(False, exc)
            return None
        self._state(True)
        return result

    def _state(self, up: bool, exc: BaseException | None = None) -> None:
        if not up:
            self.errors += 1
        if up == self.up:
            return
        self.up = up
        where = mask_url(self._client)
        if up:
            logger.warning("hot tier: redis %s is back", where)
        else:
            logger.warning("hot tier: redis %s unreachable (%s): reading from the database", where, exc)


class BarWindow:
    """A symbol's window as Redis returned it (members and scores, oldest first); bars are decoded
    only when a read asks for them, once each."""

    def __init__(self, symbol: str, since: float, members: Sequence[tuple[Any, float]]) -> None:
        self.symbol, self.since_s = symbol, since
        self.since = datetime.fromtimestamp(since, UTC)
        self._raw = [raw for raw, _ in members]
        self._scores = [float(score) for _, score in members]
        self._bars: list[Bar | None] = [None] * len(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def between(self, start: datetime | None, end: datetime | None, *, last: int | None = None) -> list[Bar]:
        """The bars with start <= ts <= end, oldest first; with `last`, only the latest `last` of them."""
        lo = 0 if start is None else bisect.bisect_left(self._scores, start.timestamp())
        hi = len(self._scores) if end is None else bisect.bisect_right(self._scores, end.timestamp())
        if last is not None:
            lo = max(lo, hi - last) if last > 0 else hi
        return [self._bar(i) for i in range(lo, hi)]

    def _bar(self, i: int) -> Bar:
        bar = self._bars[i]
        if bar is None:
            bar = self._bars[i] = _decode_bar(self.symbol, self._raw[i])
        return bar


def _encode_bar(bar: Bar) -> str:
    ts = bar.ts.astimezone(UTC).isoformat()
    return json.dumps([ts, str(bar.interval), bar.open, bar.high, bar.low, bar.close, bar.volume,
                       bar.adj_factor, bar.source, bar.flags])  # fmt: skip


def _decode_bar(symbol: str, raw: str | bytes) -> Bar:
    ts, interval, o, h, lo, c, v, adj, source, flags = json.loads(raw)
    return Bar(symbol, Interval(interval), datetime.fromisoformat(ts), o, h, lo, c, v, adj, source, flags)


def flows_json(flows: Sequence[InvestorFlow]) -> list[dict[str, Any]]:
    return [{**asdict(f), "day": f.day.isoformat()} for f in flows]


def flows_of(data: list[dict[str, Any]]) -> list[InvestorFlow]:
    return [InvestorFlow(**{**item, "day": date.fromisoformat(item["day"])}) for item in data]
