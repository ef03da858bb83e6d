"""Fetch -> adjust -> validate -> store -> advance cursors, for one instrument at a time.

The start of an update is the later of the stored cursors (one per source) and the last stored bar,
inclusive: the last bar is fetched again (it may have been incomplete) and only bars that are new or
changed are written and reported. History loads go backwards in chunks from what is already covered,
recording progress after each chunk in the state repo, so an interrupted load resumes and, since bars
are unique per (symbol, interval, ts), never duplicates.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import SourceError
from core.ports import PriceSource, Repositories
from core.settings import Settings
from core.timeutil import Clock, day_start_utc
from core.types import Bar, FetchCursor, Instrument, Interval, Market
from market.calendar import is_trading_day, trading_days
from market.errors import NoDataError
from market.resample import resample
from market.resolver import by_pattern, make_instrument
from market.sources.base import FetchResult, Source
from market.validate import OUTLIER, Checked, validate_bars

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
FIRST_DATE = {"krx": date(2015, 1, 12), "eex": date(2020, 1, 1)}  # nothing older is published
CHUNK_DAYS = {"krx": 30, "eex": 366}  # others fetch a whole history in one request
DEFAULT_CHUNK = 4000
SESSION_END = time(18, 0)  # local time by which every market's session (late KRX days too) has closed


def _differs(old: Bar | None, new: Bar) -> bool:
    if old is None:
        return True
    pairs = zip(
        (old.open, old.high, old.low, old.close, old.volume, old.adj_factor),
        (new.open, new.high, new.low, new.close, new.volume, new.adj_factor),
        strict=True,
    )
    return any(not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) for a, b in pairs) or old.flags != new.flags


class Pipeline:
    def __init__(
        self, settings: Settings, repos: Repositories, clock: Clock, sources: Mapping[str, PriceSource]
    ) -> None:
        self.settings = settings
        self.repos = repos
        self.clock = clock
        self.sources = sources
        self._known: set[str] = set()

    def today(self, inst: Instrument) -> date:
        return self.clock.now().astimezone(ZoneInfo(inst.timezone)).date()

    async def ensure_instrument(self, inst: Instrument) -> None:
        if inst.symbol not in self._known:
            await self.repos.instruments.upsert_instruments([inst])
            self._known.add(inst.symbol)

    async def fetch_with_fallback(
        self, inst: Instrument, interval: Interval, start: date, end: date, *, need_data: bool
    ) -> tuple[str, FetchResult]:
        """The first source of the route that answers; an empty answer counts only if `need_data`."""
        errors: list[str] = []
        wanted = Interval.M1 if interval in (Interval.M5, Interval.M15) else interval
        for name in self.route(inst, interval):
            source = self.sources.get(name)
            if source is None:
                errors.append(f"{name}: not configured")
                continue
            if wanted != Interval.D1 and not getattr(source, "intraday", False):
                continue
            try:
                if isinstance(source, Source):
                    fetched = await source.fetch(inst, wanted, start, end)
                else:
                    fetched = FetchResult(bars=await source.fetch_bars(inst, wanted, start, end))
            except SourceError as exc:
                logger.info("%s %s: %s failed: %s", inst.symbol, interval, name, exc)
                errors.append(str(exc))
                continue
            if need_data and not fetched.bars:
                errors.append(str(NoDataError(name, f"no bars for {inst.symbol} {start}..{end}")))
                continue
            if wanted != interval:
                fetched.bars = resample(fetched.bars, interval)
            return name, fetched
        raise SourceError("market", "; ".join(errors) or f"no source serves {interval} bars")

    def route(self, inst: Instrument, interval: Interval) -> tuple[str, ...]:
        """The sources to try, in order: intraday bars of Korean stocks come from KIS first when it is
        configured (Yahoo keeps only days of 1-minute history); everything else as the instrument says."""
        if inst.market == Market.KRX and interval != Interval.D1 and "kis" in self.sources:
            return ("kis", *(n for n in inst.sources if n != "kis"))
        return inst.sources

    async def intraday_history_one(
        self, inst: Instrument, interval: Interval, days: int, progress: Progress | None
    ) -> tuple[dict[str, list[Bar]], int]:
        """Backfill `days` calendar days of intraday bars, one session at a time, oldest first. 1-minute
        bars are stored (5m/15m too when asked for, built from them); a finished session is recorded,
        so an interrupted run resumes after the last one it completed."""
        today = self.today(inst)
        sessions = trading_days(inst.market, today - timedelta(days=days), today)
        key = f"market:intraday_done:{inst.symbol}"
        raw = await self.repos.state.get_state(key)
        done = {date.fromisoformat(d) for d in json.loads(raw)} if raw else set()
        todo = [d for d in sessions if d not in done]
        out: dict[str, list[Bar]] = {}
        rejected = 0
        for i, day in enumerate(todo):
            if progress:
                progress(inst.symbol, i, len(todo))
            name, fetched = await self.fetch_with_fallback(inst, Interval.M1, day, day, need_data=False)
            new, rej = await self.store(inst, Interval.M1, name, fetched)
            rejected += rej
            if interval == Interval.M1:
                merge_bars(out, new)
            elif fetched.bars:
                coarse = FetchResult(bars=resample(fetched.bars, interval))
                new, rej = await self.store(inst, interval, name, coarse)
                merge_bars(out, new)
            if day < today or self.clock.now().astimezone(ZoneInfo(inst.timezone)).time() >= SESSION_END:
                done = {d for d in done if d >= today - timedelta(days=400)} | {day}
                await self.repos.state.put_state(key, json.dumps(sorted(map(str, done))).encode())
        if progress:
            progress(inst.symbol, len(todo), len(todo))
        return out, rejected

    async def start_date(self, inst: Instrument, interval: Interval) -> tuple[date, bool]:
        """Where an update starts (inclusive), and whether the instrument has stored bars."""
        last = await self.repos.bars.last_bar(inst.symbol, interval)
        marks = [last.ts] if last else []
        for name in self.route(inst, interval):
            cursor = await self.repos.cursors.get_cursor(inst.symbol, name, interval)
            if cursor is not None:
                marks.append(cursor.last_ts)
        if marks:
            return max(marks).date(), last is not None
        days = self.settings.market_initial_days if interval == Interval.D1 else 5
        return self.today(inst) - timedelta(days=days), False

    async def update_one(self, inst: Instrument, interval: Interval) -> tuple[dict[str, list[Bar]], int, str]:
        start, has_data = await self.start_date(inst, interval)
        name, fetched = await self.fetch_with_fallback(
            inst, interval, start, self.today(inst), need_data=not has_data
        )
        new, rejected = await self.store(inst, interval, name, fetched)
        return new, rejected, name

    async def history_one(
        self, inst: Instrument, years: int, progress: Progress | None
    ) -> tuple[dict[str, list[Bar]], int]:
        today = self.today(inst)
        primary = inst.sources[0] if inst.sources else ""
        target = max(today - timedelta(days=round(365.25 * years)), FIRST_DATE.get(primary, date.min))
        key = f"market:covered_from:{inst.symbol}"
        raw = await self.repos.state.get_state(key)
        covered = date.fromisoformat(raw.decode()) if raw else today + timedelta(days=1)
        chunks: list[tuple[date, date]] = []
        step = CHUNK_DAYS.get(primary, DEFAULT_CHUNK)
        end = covered - timedelta(days=1)
        while end >= target:
            chunks.append((max(target, end - timedelta(days=step - 1)), end))
            end = chunks[-1][0] - timedelta(days=1)
        total = len(chunks) + 1
        out: dict[str, list[Bar]] = {}
        rejected = 0
        for i, (lo, hi) in enumerate(chunks):
            if progress:
                progress(inst.symbol, i, total)
            name, fetched = await self.fetch_with_fallback(inst, Interval.D1, lo, hi, need_data=False)
            new, rej = await self.store(inst, Interval.D1, name, fetched)
            merge_bars(out, new)
            rejected += rej
            await self.repos.state.put_state(key, lo.isoformat().encode())
        if progress:
            progress(inst.symbol, len(chunks), total)
        new, rej, _ = await self.update_one(inst, Interval.D1)
        merge_bars(out, new)
        if progress:
            progress(inst.symbol, total, total)
        return out, rejected + rej

    async def store(
        self, inst: Instrument, interval: Interval, source: str, fetched: FetchResult
    ) -> tuple[dict[str, list[Bar]], int]:
        """Store the fetched bars (and siblings'); returns new/changed bars per symbol and rejects."""
        out: dict[str, list[Bar]] = {}
        new, rejected = await self._store_symbol(inst, interval, source, fetched.bars, fetched)
        out[inst.symbol] = new
        for symbol, bars in fetched.others.items():
            sibling = by_pattern(symbol) or make_instrument(symbol, inst.market)
            if sibling.market != inst.market:
                sibling = make_instrument(symbol, inst.market)
            extra = FetchResult(bars=bars, covered_until=fetched.covered_until)
            new_s, rej = await self._store_symbol(sibling, interval, source, bars, extra)
            if new_s:
                out[symbol] = new_s
            rejected += rej
        return out, rejected

    async def _store_symbol(
        self, inst: Instrument, interval: Interval, source: str, bars: Sequence[Bar], fetched: FetchResult
    ) -> tuple[list[Bar], int]:
        await self.ensure_instrument(inst)
        bars = [replace(b, source=b.source or source) for b in bars]
        if interval == Interval.D1:
            bars = await self._adjust(inst.symbol, bars, fetched)
        prev_close = None
        if bars:
            first = min(b.ts for b in bars)
            before = await self.repos.bars.list_bars(
                inst.symbol, interval, end=first - timedelta(microseconds=1), limit=1
            )
            prev_close = before[-1].adj_close if before else None
        market = inst.market

        def validate(given: Sequence[Bar]) -> Checked:
            return validate_bars(
                given,
                now=self.clock.now(),
                today=self.today(inst),
                outlier_pct=self.settings.outlier_pct,
                prev_close=prev_close,
                is_trading_day=lambda d: is_trading_day(market, d) if market != Market.OTHER else None,
            )

        checked = validate(bars)
        if interval == Interval.D1 and checked.report.outliers:
            checked = await self._second_opinion(inst, source, bars, checked, validate)
        new: list[Bar] = []
        if checked.kept:
            stored = await self.repos.bars.list_bars(
                inst.symbol, interval, start=checked.kept[0].ts, end=checked.kept[-1].ts
            )
            existing = {b.ts: b for b in stored}
            new = [b for b in checked.kept if _differs(existing.get(b.ts), b)]
            if new:
                await self.repos.bars.upsert_bars(new)
        marks = [b.ts for b in checked.kept]
        if fetched.covered_until is not None:
            marks.append(day_start_utc(fetched.covered_until))
        if marks:
            await self._advance(inst.symbol, source, interval, max(marks))
        return new, len(checked.rejected)

    async def _second_opinion(
        self,
        inst: Instrument,
        source: str,
        bars: list[Bar],
        checked: Checked,
        validate: Callable[[Sequence[Bar]], Checked],
    ) -> Checked:
        """Outliers the rule held out, asked of the next source of the route that has the same days:
        a bar it gives that the rule then accepts replaces the outlier (flagged 'second_source', its
        source named), counted in the report; otherwise the outlier stays held out."""
        days = sorted({b.ts.date() for b in checked.kept if OUTLIER in b.flags.split(",")})
        for name in (n for n in self.route(inst, Interval.D1) if n != source and n in self.sources):
            try:
                _, fetched = await self._fetch_from(name, inst, days[0], days[-1])
            except SourceError as exc:
                logger.info("%s: second source %s for outliers failed: %s", inst.symbol, name, exc)
                continue
            theirs = {b.ts.date(): b for b in fetched.bars if b.ts.date() in days}
            if not theirs:
                continue
            swapped = [_swap(b, theirs.get(b.ts.date()), name) if b.ts.date() in days else b for b in bars]
            again = validate(swapped)
            fixed = sum(
                1
                for b in again.kept
                if {"second_source", OUTLIER} & set(b.flags.split(",")) == {"second_source"}
            )
            if fixed:
                again.report.second_source = fixed
                logger.warning("%s: %d outlier bar(s) replaced from %s", inst.symbol, fixed, name)
                return again
        return checked

    async def _fetch_from(
        self, name: str, inst: Instrument, start: date, end: date
    ) -> tuple[str, FetchResult]:
        source = self.sources[name]
        if isinstance(source, Source):
            return name, await source.fetch(inst, Interval.D1, start, end)
        return name, FetchResult(bars=await source.fetch_bars(inst, Interval.D1, start, end))

    async def _advance(self, symbol: str, source: str, interval: Interval, ts: datetime) -> None:
        cursor = await self.repos.cursors.get_cursor(symbol, source, interval)
        if cursor is None or ts > cursor.last_ts:
            await self.repos.cursors.set_cursor(
                FetchCursor(symbol, source, interval, ts, updated_at=self.clock.now())
            )

    async def _adjust(self, symbol: str, bars: list[Bar], fetched: FetchResult) -> list[Bar]:
        """Apply split and dividend factors. A newly reported action re-adjusts stored history through
        `set_adj_factors` (no refetch); actions already applied (kept in the state repo) are not
        applied twice. A dividend's factor is 1 - amount / the raw close before its ex-date."""
        reported: list[tuple[datetime, float, str]] = [(ts, f, "split") for ts, f in fetched.splits]
        for ts, amount in fetched.dividends:
            prev = await self._close_before(symbol, bars, ts)
            if prev is None or not 0 < amount < prev:
                logger.warning(
                    "%s: dividend %g on %s ignored (no usable close before it)", symbol, amount, ts.date()
                )
                continue
            reported.append((ts, 1.0 - amount / prev, "dividend"))
        key = f"market:adjustments:{symbol}"
        raw = await self.repos.state.get_state(key)
        known = [(datetime.fromisoformat(ts), f, kind) for ts, f, kind in json.loads(raw)] if raw else []
        seen = {(ts, kind) for ts, _, kind in known}
        fresh = [a for a in reported if (a[0], a[2]) not in seen]
        for ts, factor, kind in fresh:
            changed = await self.repos.bars.set_adj_factors(symbol, Interval.D1, [(ts, factor)])
            logger.warning(
                "%s: %s on %s (factor %.6g): re-adjusted %d stored bars",
                symbol,
                kind,
                ts.date(),
                factor,
                changed,
            )
        if fresh:
            known = sorted([*known, *fresh])
            await self.repos.state.put_state(
                key, json.dumps([[ts.isoformat(), f, kind] for ts, f, kind in known]).encode()
            )
        if not known:
            return bars
        return [
            replace(b, adj_factor=b.adj_factor * math.prod(f for ts, f, _ in known if b.ts < ts))
            for b in bars
        ]

    async def _close_before(self, symbol: str, bars: Sequence[Bar], ts: datetime) -> float | None:
        earlier = [b for b in bars if b.ts < ts]
        if earlier:
            return max(earlier, key=lambda b: b.ts).close
        stored = await self.repos.bars.list_bars(
            symbol, Interval.D1, end=ts - timedelta(microseconds=1), limit=1
        )
        return stored[-1].close if stored else None


def merge_bars(into: dict[str, list[Bar]], new: Mapping[str, list[Bar]]) -> None:
    for symbol, bars in new.items():
        if not bars:
            continue
        merged = {b.ts: b for b in into.get(symbol, [])}
        merged.update({b.ts: b for b in bars})
        into[symbol] = [merged[ts] for ts in sorted(merged)]


def _swap(bar: Bar, other: Bar | None, name: str) -> Bar:
    """`bar` with the prices of another source's bar of the same day (its adjustment factor kept)."""
    if other is None:
        return bar
    flags = ",".join(f for f in (bar.flags, "second_source") if f)
    return replace(bar, open=other.open, high=other.high, low=other.low, close=other.close,
                   volume=other.volume or bar.volume, source=name, flags=flags)  # fmt: skip
