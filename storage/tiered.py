"""Bars from both tiers behind the one `BarRepo` port (issue 20): the database (hot) and the monthly
Parquet files (cold, `storage.cold`). Callers (backtests, /v1/bars, signals) never know which tier
answered.

- A read whose range touches no archived month of the symbol's market costs the database query only
  (plus one `stat` of the market's cold directory).
- Otherwise the cold months in range are read and merged with the database's answer; where both hold
  a bar (history back-filled after archiving) the database's wins, until the next archive run folds it in.
- With `limit` (the latest N bars) the database answers alone when it holds N bars newer than every
  archived month; else cold months are read newest first until N are found.
- `set_adj_factors` (a split) re-adjusts the archived bars too, rewriting the affected files.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from core.ports import BarRepo, InstrumentRepo
from core.types import Bar, Interval
from storage.cold import ColdBarStore, Month, month_of, month_start, next_month


def _merge(cold: Sequence[Bar], hot: Sequence[Bar]) -> list[Bar]:
    if not cold:
        return list(hot)
    by_ts = {bar.ts: bar for bar in cold}
    by_ts.update((bar.ts, bar) for bar in hot)
    return [by_ts[ts] for ts in sorted(by_ts)]


class TieredBarRepo:
    """`core.ports.BarRepo` over the database's bar repository and the cold Parquet store."""

    def __init__(self, hot: BarRepo, instruments: InstrumentRepo, cold: ColdBarStore) -> None:
        self.hot, self.cold, self._instruments = hot, cold, instruments
        self._markets: dict[str, str] = {}
        self.cold_reads = 0

    async def _market(self, symbol: str) -> str | None:
        market = self._markets.get(symbol)
        if market is None:
            inst = await self._instruments.get_instrument(symbol)
            if inst is None:
                return None
            market = self._markets[symbol] = str(inst.market)
        return market

    async def upsert_bars(self, bars: Sequence[Bar]) -> int:
        return await self.hot.upsert_bars(bars)

    async def list_bars(
        self,
        symbol: str,
        interval: Interval = Interval.D1,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[Bar]:
        if not self.cold.markets():  # nothing archived: the database alone, no instrument lookup
            return await self.hot.list_bars(symbol, interval, start, end, limit)
        market = await self._market(symbol)
        months = self.cold.months(market) if market is not None else []
        lo = month_of(start) if start is not None else None
        hi = month_of(end) if end is not None else None
        wanted = [m for m in months if (lo is None or m >= lo) and (hi is None or m <= hi)]
        if market is None or not wanted:
            return await self.hot.list_bars(symbol, interval, start, end, limit)
        hot = await self.hot.list_bars(symbol, interval, start, end, limit)
        if limit is None:
            cold = await self._read(market, symbol, interval, wanted, start, end)
            return _merge(cold, hot)
        horizon = month_start(next_month(months[-1]))
        if len(hot) >= limit and hot[0].ts >= horizon:
            return hot
        cold = []
        for month in reversed(wanted):  # newest first, until `limit` older bars are in hand
            cold = await self._read(market, symbol, interval, [month], start, end) + cold
            if len(cold) >= limit:
                break
        return _merge(cold, hot)[-limit:] if limit > 0 else []

    async def _read(
        self,
        market: str,
        symbol: str,
        interval: Interval,
        months: Sequence[Month],
        start: datetime | None,
        end: datetime | None,
    ) -> list[Bar]:
        self.cold_reads += len(months)
        return await asyncio.to_thread(self.cold.read, market, symbol, interval, months, start, end)

    async def last_bar(self, symbol: str, interval: Interval = Interval.D1) -> Bar | None:
        bars = await self.list_bars(symbol, interval, limit=1)
        return bars[0] if bars else None

    async def set_adj_factors(
        self, symbol: str, interval: Interval, factors: Sequence[tuple[datetime, float]]
    ) -> int:
        changed = await self.hot.set_adj_factors(symbol, interval, factors)
        market = await self._market(symbol)
        if market is None or not factors:
            return changed
        latest = max(ts for ts, _ in factors)
        for month in [m for m in self.cold.months(market) if month_start(m) < latest]:
            changed += await asyncio.to_thread(self._adjust_month, market, month, symbol, interval, factors)
        return changed

    def _adjust_month(
        self,
        market: str,
        month: Month,
        symbol: str,
        interval: Interval,
        factors: Sequence[tuple[datetime, float]],
    ) -> int:
        bars = self.cold.read_month(market, month)
        changed = 0
        out: list[Bar] = []
        for bar in bars:
            if bar.symbol == symbol and bar.interval == interval:
                adj = bar.adj_factor
                for ts_from, step in factors:  # in order, one multiplication each, as the database does
                    if bar.ts < ts_from:
                        adj *= step
                if any(bar.ts < ts_from for ts_from, _ in factors):
                    bar = replace(bar, adj_factor=adj)
                    changed += 1
            out.append(bar)
        if changed:
            self.cold.write_month(market, month, out)
        return changed
