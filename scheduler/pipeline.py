"""Bars -> signal engine -> stored events (deduplicated) -> Notifier, with the engine state persisted.

The persisted blob holds the engine state *and* the last bar time fed per symbol, written in one
`put_state`, so a restart never feeds a bar twice nor skips one: bars stored but not yet evaluated when
the process stopped are read back from storage (`catch_up`), and events already stored but perhaps not
yet handed to delivery are handed over again (the outbox's dedup_key makes that idempotent).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.combostudy import STATE_KEY as COMBO_STUDY_KEY
from core.combostudy import read_study
from core.ports import Notifier, ReadsAhead, Repositories
from core.types import Bar, Interval, SignalEvent
from scheduler.depth import drop_halted
from scheduler.gcpause import gc_paused
from scheduler.ports import EnginePort
from scheduler.user_alerts import UserAlertWatcher, publish_close

logger = logging.getLogger(__name__)

_MAGIC = b"FSSCHED1"
_TICK = timedelta(microseconds=1)


@dataclass(slots=True)
class EvalResult:
    """What one evaluation did. `latency_s` runs from bars in hand to the notifier having enqueued."""

    bars: int = 0
    events: int = 0
    new_events: list[SignalEvent] = field(default_factory=list)
    republished: int = 0
    enqueued: int = 0
    latency_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def pack_state(last_ts: Mapping[str, datetime], engine_state: bytes, token: str = "") -> bytes:
    """One blob: magic, header length, JSON header (last bar time per symbol, token), engine bytes."""
    header = json.dumps({"last_ts": {s: t.isoformat() for s, t in last_ts.items()}, "token": token}).encode()
    return _MAGIC + len(header).to_bytes(4, "big") + header + engine_state


def _split(blob: bytes) -> tuple[dict[str, Any], bytes]:
    if not blob.startswith(_MAGIC):
        raise ValueError("not a scheduler state blob")
    n = int.from_bytes(blob[8:12], "big")
    header: dict[str, Any] = json.loads(blob[12 : 12 + n])
    return header, blob[12 + n :]


def unpack_state(blob: bytes) -> tuple[dict[str, datetime], bytes]:
    """Inverse of `pack_state`: (last bar time per symbol, engine bytes); ValueError on anything else."""
    header, engine_state = _split(blob)
    return {s: datetime.fromisoformat(t) for s, t in header["last_ts"].items()}, engine_state


class SignalPipeline:
    """Owns the live signal engine and its persisted state for one interval."""

    def __init__(
        self,
        repos: Repositories,
        notifier: Notifier,
        engine_factory: Callable[[], EnginePort],
        *,
        interval: Interval = Interval.D1,
        warmup: int = 400,
        state_key: str | None = None,
        persist: bool = True,
        alerts: UserAlertWatcher | None = None,
    ) -> None:
        self._repos = repos
        self.alerts = alerts  # chats' own alerts, checked on the same closes (issue 24)
        self._notifier = notifier
        self._factory = engine_factory
        self.interval = interval
        self.warmup = warmup
        self.state_key = state_key or f"scheduler.signal_state.{interval}"
        self.persist = persist
        self._engine: EnginePort | None = None
        self._last_ts: dict[str, datetime] = {}
        self._token: str | None = None  # identifies the saved state this engine matches
        self._dirty = False
        self._lock = asyncio.Lock()
        self.latencies: deque[float] = deque(maxlen=200)

    @property
    def last_ts(self) -> Mapping[str, datetime]:
        return dict(self._last_ts)

    async def warm(self, symbols: Iterable[str]) -> EvalResult:
        """Restore saved state (or start fresh), warm unseen symbols from stored bars, then catch up."""
        async with self._lock:
            await self._restore()
            engine = self._require()
            warmed = 0
            todo = [s for s in symbols if s not in self._last_ts]
            for symbol in todo:
                bars = await self._repos.bars.list_bars(symbol, self.interval, limit=self.warmup)
                if bars:
                    engine.warm_up(symbol, bars)
                    self._last_ts[symbol] = bars[-1].ts
                    warmed += 1
            if warmed:
                await self._save()
            await self._read_ahead()
            logger.info(
                "signal engine ready: %d symbols known, %d warmed from stored bars",
                len(self._last_ts),
                warmed,
            )
        return await self.catch_up([s for s in self._last_ts if s not in todo])

    async def catch_up(self, symbols: Iterable[str]) -> EvalResult:
        """Evaluate stored bars newer than the last one fed (e.g. stored before a crash, never evaluated)."""
        pending: dict[str, list[Bar]] = {}
        for symbol in symbols:
            since = self._last_ts.get(symbol)
            if since is None:
                continue
            bars = await self._repos.bars.list_bars(symbol, self.interval, start=since + _TICK)
            bars = [b for b in bars if b.ts > since]
            if bars:
                pending[symbol] = bars
        if pending:
            logger.info("catching up %d symbols with stored bars not yet evaluated", len(pending))
        return await self.process(pending) if pending else EvalResult()

    async def process(self, new_bars: Mapping[str, Sequence[Bar]]) -> EvalResult:
        """Feed new bars (in hand) through the engine, store events, hand new ones to the notifier."""
        t0, cpu0 = time.perf_counter(), time.process_time()
        result = EvalResult()
        async with self._lock:
            if self._engine is None or await self._stale():
                await self._restore()
            try:
                with gc_paused():
                    await self._process_locked(new_bars, result, t0, cpu0)
            except Exception:
                logger.exception("evaluation failed; engine rolled back to its last saved state")
                await self._rollback()
                raise
            except BaseException:
                self._engine, self._last_ts = None, {}  # reloaded from the saved blob on the next call
                raise
        if result.bars:
            self.latencies.append(result.latency_s)
            logger.info(
                "evaluated %d bars: %d events, %d new, %d re-handed, %d enqueued, bar->outbox %.3fs",
                result.bars,
                result.events,
                len(result.new_events),
                result.republished,
                result.enqueued,
                result.latency_s,
            )
        return result

    async def _process_locked(
        self, new_bars: Mapping[str, Sequence[Bar]], result: EvalResult, t0: float, cpu0: float
    ) -> None:
        engine = self._require()
        await self._refresh_combos(engine)
        groups: dict[datetime, list[Bar]] = defaultdict(list)
        fed: dict[str, list[Bar]] = {}
        for symbol, bars in new_bars.items():
            fed[symbol] = await self._fresh(engine, symbol, bars)
            for bar in fed[symbol]:
                groups[bar.ts].append(bar)
        t1 = time.perf_counter()
        events: list[SignalEvent] = []
        if groups:
            self._dirty = True
        for ts in sorted(groups):
            group = groups[ts]
            events.extend(engine.on_bars(group))
            for bar in group:
                self._last_ts[bar.symbol] = ts
            result.bars += len(group)
        events = await drop_halted(self._repos, events)  # a halted stock raises no signal (issue 21)
        t2 = time.perf_counter()
        result.events = len(events)
        new = await self._repos.events.add_events(events) if events else []
        t3 = time.perf_counter()
        known = await self._stored_twins(events, new)
        to_publish = [*new, *known]
        result.new_events, result.republished = list(new), len(known)
        if self.alerts is not None and groups:
            notifier, created = self._notifier, {e.key for e in new}
            result.enqueued = await self.alerts.deliver(
                fed, lambda hits: publish_close(notifier, to_publish, hits, created)
            )
        else:
            result.enqueued = await self._notifier.publish(to_publish) if to_publish else 0
        t4, cpu4 = time.perf_counter(), time.process_time()
        result.latency_s = t4 - t0
        if result.bars:
            await self._save()
        t5 = time.perf_counter()
        if result.bars:
            await self._read_ahead()
        result.timings = {
            "prepare": t1 - t0,
            "engine": t2 - t1,
            "add_events": t3 - t2,
            "publish": t4 - t3,
            "cpu": cpu4 - cpu0,  # the process's CPU from bars in hand to the outbox (all its threads)
            "save_state": t5 - t4,
            "read_ahead": time.perf_counter() - t5,
        }

    async def _fresh(self, engine: EnginePort, symbol: str, bars: Sequence[Bar]) -> list[Bar]:
        """Bars of `symbol` not yet fed; an unseen symbol is warmed from storage and only its last bar fed."""
        ordered = sorted({b.ts: b for b in bars}.values(), key=lambda b: b.ts)  # one bar per ts (the last)
        if not ordered:
            return []
        since = self._last_ts.get(symbol)
        if since is not None:
            return [b for b in ordered if b.ts > since]
        last = ordered[-1]
        history = await self._repos.bars.list_bars(
            symbol, self.interval, end=last.ts - _TICK, limit=self.warmup
        )
        if not history:
            history = ordered[:-1][-self.warmup :]
        if history:
            engine.warm_up(symbol, history)
        return [last]

    async def _stored_twins(
        self, events: Sequence[SignalEvent], new: Sequence[SignalEvent]
    ) -> list[SignalEvent]:
        """Events the engine fired that were already stored (a re-run): their stored copies, with ids."""
        new_keys = {e.key for e in new}
        old = [e for e in events if e.key not in new_keys]
        if not old:
            return []
        found: list[SignalEvent] = []
        by_symbol: dict[str, set[str]] = defaultdict(set)
        for e in old:
            by_symbol[e.symbol].add(e.key)
        for symbol, keys in by_symbol.items():
            since = min(e.ts for e in old if e.symbol == symbol)
            stored = await self._repos.events.list_events(
                symbol, since=since, limit=max(50, 4 * len(keys)), interval=self.interval
            )  # this engine's timeframe only: minute-bar events of the symbol must not crowd its own out
            found.extend(e for e in stored if e.key in keys)
        return found

    async def _refresh_combos(self, engine: EnginePort) -> None:
        """Hand a combinations-aware engine the ones the last study confirmed (one small read per
        evaluation, so a new study takes effect at the next bar close)."""
        set_combos = getattr(engine, "set_combos", None)
        if set_combos is None or self.interval is not Interval.D1:  # the study rates daily bars
            return
        study = read_study(await self._repos.state.get_state(COMBO_STUDY_KEY))
        if study is None:
            set_combos(())
        else:
            set_combos(study.names, study.window)

    def _require(self) -> EnginePort:
        if self._engine is None:
            self._engine = self._factory()
        return self._engine

    async def _rollback(self) -> None:
        self._engine, self._last_ts = None, {}  # if reloading fails too, the next call retries it
        try:
            await self._restore()
        except Exception:
            logger.exception("could not reload the saved signal state; retried on the next evaluation")
            self._engine, self._last_ts = None, {}

    async def _stale(self) -> bool:
        """True when another process saved a newer state than the one in memory (scale-out)."""
        if not self.persist:
            return False
        token = await self._repos.state.get_state(self._token_key)
        return token is not None and token.decode() != self._token

    @property
    def _token_key(self) -> str:
        return f"{self.state_key}.token"

    async def _restore(self) -> None:
        blob = await self._repos.state.get_state(self.state_key)
        self._engine, self._last_ts, self._token, self._dirty = None, {}, None, False
        if blob:
            try:
                header, engine_state = _split(blob)
                last_ts, _ = unpack_state(blob)
                self._engine = self._factory().load_state(engine_state)
                self._last_ts, self._token = last_ts, str(header.get("token", "")) or None
            except Exception:
                logger.warning("saved signal state %s unusable; rebuilding from stored bars", self.state_key)
                self._engine, self._last_ts = None, {}
        self._require()

    async def _read_ahead(self) -> None:
        """Off the bar->outbox path: what the next close's alerts read held in memory again where it
        changed (`core.ports.ReadsAhead`), so that the close itself only checks its versions."""
        if isinstance(self._notifier, ReadsAhead):
            await self._notifier.read_ahead()

    async def _save(self) -> None:
        if not self.persist:
            return
        engine = self._require()
        token = uuid.uuid4().hex
        await self._repos.state.put_state(
            self.state_key, pack_state(self._last_ts, engine.dump_state(), token)
        )
        await self._repos.state.put_state(self._token_key, token.encode())
        self._token, self._dirty = token, False

    async def save(self) -> None:
        """Persist the engine state if it changed since the last save (called at shutdown)."""
        async with self._lock:
            if self._engine is not None and self._dirty:
                await self._save()
