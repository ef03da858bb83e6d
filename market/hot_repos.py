"""The hot tier behind the repository ports (issue 20): the composition root wraps `repos.bars` and
`repos.flows` with these when FINSIGNAL_REDIS_URL is set, so the services, the API and the bot read
through them unchanged.

- `HotBarRepo`: writing intraday bars (the collector's minute rounds) stores them in the database,
  then in the symbol's Redis window; a read of an intraday range inside the window (or of the latest
  N bars, when the window holds N) is answered from L1 or Redis. Daily bars drop the symbol's
  indicator summary. Anything else reads the database (and the cold tier behind it).
- `HotFlowRepo`: writing flows stores them, then the symbol's latest sessions in Redis.
- `HotIndicators`: the latest indicator values per symbol, computed once and kept in Redis until the
  symbol's next daily bar.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime

from core.ports import BarRepo, InvestorFlowRepo
from core.timeutil import Clock
from core.types import Bar, Interval, InvestorFlow
from market.hot_tier import HotTier, flows_json, flows_of

FLOW_SESSIONS = 60  # sessions kept per symbol: the most /v1/investors serves


class HotBarRepo:
    """`core.ports.BarRepo`: the database (and cold tier) behind, the Redis window of recent
    intraday bars in front."""

    def __init__(self, inner: BarRepo, hot: HotTier, clock: Clock) -> None:
        self.inner, self.hot, self._clock = inner, hot, clock
        self.hot_reads = 0

    async def upsert_bars(self, bars: Sequence[Bar]) -> int:
        written = await self.inner.upsert_bars(bars)
        series: dict[tuple[str, Interval], list[Bar]] = defaultdict(list)
        for bar in bars:
            series[(bar.symbol, bar.interval)].append(bar)
        now = self._clock.now()
        daily = sorted({symbol for symbol, interval in series if interval == Interval.D1})
        await self.hot.drop([f"ind:{symbol}" for symbol in daily])
        for (symbol, interval), group in series.items():
            if interval != Interval.D1:
                await self.hot.put_bars(symbol, interval, group, now, self._seeder(symbol, interval))
        return written

    def _seeder(self, symbol: str, interval: Interval) -> Callable[[datetime], Awaitable[list[Bar]]]:
        async def seed(since: datetime) -> list[Bar]:
            return await self.inner.list_bars(symbol, interval, start=since)

        return seed

    async def list_bars(
        self,
        symbol: str,
        interval: Interval = Interval.D1,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[Bar]:
        if interval != Interval.D1 and (start is not None or limit is not None):
            window = await self.hot.bar_window(symbol, interval)
            if window is not None and (start is None or start >= window.since):
                got = window.between(start, end, last=limit)
                # from `start` on the window is complete; without it, it must hold `limit` bars
                if start is not None or (limit is not None and len(got) >= limit):
                    self.hot_reads += 1
                    return got
        return await self.inner.list_bars(symbol, interval, start, end, limit)

    async def last_bar(self, symbol: str, interval: Interval = Interval.D1) -> Bar | None:
        bars = await self.list_bars(symbol, interval, limit=1)
        return bars[0] if bars else None

    async def set_adj_factors(
        self, symbol: str, interval: Interval, factors: Sequence[tuple[datetime, float]]
    ) -> int:
        changed = await self.inner.set_adj_factors(symbol, interval, factors)
        names = [f"bars:{symbol}:{interval}", f"bars:{symbol}:{interval}:since"]
        await self.hot.drop([*names, f"ind:{symbol}"])  # seeded afresh at the next write
        return changed


class HotFlowRepo:
    """`core.ports.InvestorFlowRepo` with each symbol's latest sessions in Redis."""

    def __init__(self, inner: InvestorFlowRepo, hot: HotTier) -> None:
        self.inner, self.hot = inner, hot
        self.hot_reads = 0

    async def upsert_flows(self, flows: Sequence[InvestorFlow]) -> int:
        written = await self.inner.upsert_flows(flows)
        for symbol in sorted({f.symbol for f in flows}):
            latest = await self.inner.list_flows(symbol, limit=FLOW_SESSIONS)
            await self.hot.put_json("flows", f"flows:{symbol}", flows_json(latest))
        return written

    async def list_flows(self, symbol: str, *, limit: int = 20) -> list[InvestorFlow]:
        if 0 < limit <= FLOW_SESSIONS:
            data = await self.hot.get_json(f"flows:{symbol}")
            if data is not None:
                self.hot_reads += 1
                return flows_of(data)[-limit:]
        return await self.inner.list_flows(symbol, limit=limit)


Snapshot = Mapping[str, float | None]


class HotIndicators:
    """The latest indicator values of a symbol (`compute(symbol)`), kept in Redis until the symbol's
    next daily bar is written (`HotBarRepo` drops them)."""

    def __init__(self, compute: Callable[[str], Awaitable[Snapshot]], hot: HotTier) -> None:
        self._compute, self.hot = compute, hot
        self.computed = 0

    async def snapshot(self, symbol: str) -> Snapshot:
        cached = await self.hot.get_json(f"ind:{symbol}")
        if cached is not None:
            return dict(cached)
        self.computed += 1
        values = dict(await self._compute(symbol))
        if values:
            await self.hot.put_json("ind", f"ind:{symbol}", values)
        return values
