"""Incremental path: O(1) per instrument per bar, state as arrays across all instruments."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from core.quality import QualityRules, clean_bars
from core.types import Bar, Interval, SignalEvent
from signals import _bands as XB
from signals import _extra as X
from signals import _kernel as K
from signals import _live as L
from signals import _patterns as XP
from signals import _state
from signals._events import (
    enabled_bits,
    extra_enabled_bits,
    from_us,
    make_events,
    make_extra_events,
    pattern_values,
    to_us,
)
from signals._guard import HELD, LiveQuality, gap_rows, judge, suspect_log_move
from signals._types import Arr, plain
from signals.config import SignalConfig

logger = logging.getLogger(__name__)

_DEFAULT = SignalConfig()
_INF = float("inf")


@dataclass(frozen=True)
class ArrayUpdate:
    """What `SignalEngine.on_arrays` did with each input row.

    `status`: 0 new bar, 1 corrected last bar, 2 older than the last bar (ignored), 3 invalid
    (rejected). `bits`: event bits fired and not emitted before (bit b <-> SignalType order).
    """

    status: Arr
    bits: Arr
    xbits: Arr  # bits of the Bollinger / 52-week / pattern rules (bit b <-> SignalType number 7 + b)
    patterns: Arr  # per row: a fired pattern's geometry (`signals._extra.EV_COLS`, stamps in microseconds)


class SignalEngine:
    """Live signal engine for all instruments of one interval.

    Feed confirmed bars with `on_bar`/`on_bars`; events use the adjusted close. A bar with the
    same timestamp as the symbol's last bar replaces it (undo, then apply: no double counting);
    an older bar is ignored (logged). `on_bar` raises ValueError for an invalid bar (close not
    finite and > 0, volume not finite and >= 0, naive timestamp, wrong interval); `on_bars` and
    `warm_up` skip such bars with a warning and go on with the rest. An event for
    (symbol, type, ts) is emitted at most once, also across corrections and dump/load.

    New bars go through the one rule for bad bars (`rules`, `core.quality`) as warm-up and backtests
    do (`signals._guard`): a units slip is divided back, an extreme move held out of the indicators,
    and a bar after a gap longer than `rules.max_gap_days` restarts the symbol's warm-up. `quality`
    counts what the rule did. The rule judges new bars only; a correction of the last bar (same
    timestamp) is applied as given. `rules=None` turns the live rule off (bars already cleaned).
    """

    def __init__(
        self,
        config: SignalConfig = _DEFAULT,
        interval: Interval = Interval.D1,
        capacity: int = 1024,
        *,
        rules: QualityRules | None = QualityRules(),
    ):
        self.config = config
        self.interval = Interval(interval)
        self.rules = rules or QualityRules()
        self._live = rules is not None  # None: bars come cleaned; the live rule is off
        self.quality = LiveQuality()
        self._suspect = suspect_log_move(self.rules)
        self._index: dict[str, int] = {}
        self._names: list[str] = []
        self._enabled = enabled_bits(config.enabled)
        self._params = (
            config.sma_fast,
            config.sma_slow,
            config.rsi_period,
            config.volume_window,
            config.rsi_overbought,
            config.rsi_oversold,
            config.volume_multiple,
            config.rsi_flat,
            self._enabled,
        )  # fmt: skip  (the kernel's parameters, in its order)
        self._xenabled = extra_enabled_bits(config.enabled)
        self._alloc(max(1, capacity))

    # ---- state arrays -------------------------------------------------------------------------
    def _alloc(self, cap: int) -> None:
        cfg = self.config
        size, vsize = plain(K.ring_sizes)(cfg.sma_fast, cfg.sma_slow, cfg.volume_window)
        self._cring = np.zeros((size, cap), np.float64)
        self._vring = np.zeros((vsize, cap), np.float64)
        self._st = K.new_state(cap)
        self._last_ts = np.full(cap, L.TS_NONE, np.int64)
        self._seen = np.zeros(cap, np.uint8)
        self._last_ts[:] = L.TS_NONE
        rsize, bsize = plain(XB.ring_sizes)(cfg.bb_period, cfg.high_low_window, cfg.bb_squeeze_window)
        self._xring = np.zeros((rsize, cap), np.float64)
        self._bwring = np.zeros((bsize, cap), np.float64)
        self._bst = np.stack([plain(XB.new_state)(cap), plain(XB.new_state)(cap)])
        self._pst = np.stack([plain(XP.new_state)(cap), plain(XP.new_state)(cap)])
        self._xseen = np.zeros(cap, np.uint16)

    _ARRAYS = ("_cring", "_vring", "_st", "_last_ts", "_seen", "_xring", "_bwring", "_bst", "_pst", "_xseen")
    _BY_COLUMN = frozenset(
        {"_cring", "_vring", "_st", "_xring", "_bwring", "_bst", "_pst"}
    )  # instrument on axis 1

    def _grow(self, need: int) -> None:
        cap = self._last_ts.shape[0]
        if need <= cap:
            return
        new_cap = max(need, 2 * cap)
        old = {name: getattr(self, name) for name in self._ARRAYS}
        self._alloc(new_cap)
        for name, arr in old.items():
            if name in self._BY_COLUMN:
                getattr(self, name)[:, : arr.shape[1]] = arr
            else:
                getattr(self, name)[: arr.shape[0]] = arr

    def slot(self, symbol: str) -> int:
        """The state row of `symbol`, created (empty) if new."""
        i = self._index.get(symbol)
        if i is None:
            i = len(self._names)
            self._grow(i + 1)
            self._index[symbol] = i
            self._names.append(symbol)
        return i

    def _reset(self, i: int, bars: int = 0) -> None:
        """Row i as if it had seen no bar; its ring positions are set so that after `bars` bars
        they point where its neighbour row's point now (row i-1, else i+1, if it has seen bars;
        else where a new row's would after none). Instruments warmed up together or one after
        another then write the same ring rows, neighbouring memory, in the rounds that follow.
        Results do not depend on ring positions."""
        pos = vpos = 0
        for j in (i - 1, i + 1):
            if 0 <= j < len(self._names) and self._st[0, j]["n"] > 0:
                pos, vpos = int(self._st[0, j]["pos"]), int(self._st[0, j]["vpos"])
                break
        self._cring[:, i] = 0.0
        self._vring[:, i] = 0.0
        self._st[:, i] = K.new_state(1)[:, 0]
        self._st[0, i]["pos"] = (pos - bars) % self._cring.shape[0]
        self._st[0, i]["vpos"] = (vpos - bars) % self._vring.shape[0]
        self._last_ts[i] = L.TS_NONE
        self._seen[i] = 0
        self._xring[:, i] = 0.0
        self._bwring[:, i] = 0.0
        self._bst[:, i] = plain(XB.new_state)(1)[0]
        self._pst[:, i] = plain(XP.new_state)(1)[0]
        self._xseen[i] = 0

    # ---- array core ---------------------------------------------------------------------------
    def on_arrays(self, slots: Arr, ts_us: Arr, close: Arr, volume: Arr,
                  *, emit: bool = True) -> ArrayUpdate:  # fmt: skip
        """Vectorised core: row k is a bar for state row slots[k] (see `slot`), in order.

        `ts_us` are integer microseconds since the epoch (UTC), `close` adjusted closes. One njit
        loop over the rows; no Python per instrument. The values behind fired events are read with
        `values_of(slot)` right after the call.
        """
        slots = np.ascontiguousarray(slots, dtype=np.int64)
        ts_us = np.ascontiguousarray(ts_us, dtype=np.int64)
        close = np.ascontiguousarray(close, dtype=np.float64)
        volume = np.ascontiguousarray(volume, dtype=np.float64)
        if not (slots.shape == ts_us.shape == close.shape == volume.shape) or slots.ndim != 1:
            raise ValueError("slots, ts_us, close and volume must be 1-D arrays of one length")
        status = np.empty(slots.shape[0], dtype=np.int8)
        bits = np.empty(slots.shape[0], dtype=np.uint8)
        bad = L.update(
            self._st, self._cring, self._vring, self._last_ts, self._seen, slots, ts_us, close, volume,
            *self._params, emit, len(self._names), status, bits,
        )  # fmt: skip
        if bad >= 0:
            raise ValueError(f"slots must come from SignalEngine.slot(): got {int(slots[bad])} in row {bad}")
        xbits = np.empty(slots.shape[0], dtype=np.uint16)
        geo = np.zeros((slots.shape[0], X.EV_COLS))
        cfg = self.config
        X.update(self._bst, self._xring, self._bwring, self._pst, self._xseen, slots, ts_us, close, status,
                 cfg.band_params, cfg.pattern_params, self._xenabled, emit, xbits, geo)  # fmt: skip
        return ArrayUpdate(status, bits, xbits, geo)

    def values_of(self, slot: int) -> tuple[float, float, float, float, float, float, float]:
        """(close, sma_fast, sma_slow, rsi, vol_avg, volume, vol_base) after the last bar of `slot`."""
        cfg = self.config
        vals = L.last_values(self._st, self._vring, slot, cfg.sma_fast, cfg.sma_slow, cfg.rsi_period,
                             cfg.volume_window, cfg.rsi_flat)  # fmt: skip
        c, fa, sl, r, va, v, vb = (float(x) for x in vals)
        return c, fa, sl, r, va, v, vb

    # ---- bars ---------------------------------------------------------------------------------
    def _check(self, bar: Bar) -> str | None:
        """Why `bar` cannot be used, or None. Plain float comparisons (NaN fails them all)."""
        if bar.interval is not self.interval and bar.interval != self.interval:
            return f"interval {bar.interval} but this engine runs {self.interval}"
        tz = bar.ts.tzinfo
        if tz is None or (tz is not UTC and bar.ts.utcoffset() is None):
            return "naive timestamp"
        c, v = bar.close * bar.adj_factor, bar.volume
        if not 0.0 < c < _INF:
            return f"adjusted close {c!r} is not a finite positive number"
        if not 0.0 <= v < _INF:
            return f"volume {v!r} is not a finite non-negative number"
        return None

    def _run(self, bars: Sequence[Bar], slots: list[int], emit: bool) -> list[SignalEvent]:
        n = len(bars)
        stamps: dict[datetime, tuple[int, datetime]] = {}  # bars of one round share their ts
        ts: Arr = np.empty(n, dtype=np.int64)
        close: Arr = np.empty(n, dtype=np.float64)
        volume: Arr = np.empty(n, dtype=np.float64)
        last: datetime | None = None
        us = 0
        for k, b in enumerate(bars):
            if b.ts is not last:
                last = b.ts
                got = stamps.get(last)
                if got is None:
                    got = stamps[last] = (to_us(last), last.astimezone(UTC))
                us = got[0]
            ts[k] = us
            close[k] = b.close * b.adj_factor
            volume[k] = b.volume
        if emit and n and self._live:
            keep = self._live_rule(bars, slots, ts, close)
            if keep is not None:
                bars = [bars[k] for k in keep.tolist()]
                slots = [slots[k] for k in keep.tolist()]
                ts, close, volume = ts[keep], close[keep], volume[keep]
        res = self.on_arrays(np.asarray(slots, dtype=np.int64), ts, close, volume, emit=emit)
        events: list[SignalEvent] = []
        if not emit:
            return events
        for k in np.flatnonzero(res.status == L.ST_OLD).tolist():
            logger.info("signals: ignored %s bar of %s at %s: older than the last bar %s",
                        self.interval, bars[k].symbol, bars[k].ts.isoformat(),
                        from_us(int(self._last_ts[slots[k]])).isoformat())  # fmt: skip
        for k in np.flatnonzero(res.bits | res.xbits).tolist():
            c, fa, sl, r, va, v, vb = self.values_of(slots[k])
            b = bars[k]
            at = stamps[b.ts][1]
            events.extend(make_events(b.symbol, self.interval, at, int(res.bits[k]), c, fa, sl, r, va, v, vb))
            if res.xbits[k]:
                events.extend(
                    self._extra_events(b.symbol, at, slots[k], c, int(res.xbits[k]), res.patterns[k])
                )
        return events

    def _live_rule(self, bars: Sequence[Bar], slots: list[int], ts: Arr, close: Arr) -> Arr | None:
        """The bad-bar rule on new bars (see `signals._guard`): repairs `close` in place, resets the
        state of symbols after a long gap; the rows to feed, or None for all of them."""
        idx = np.asarray(slots, dtype=np.int64)
        state = self._st[0, idx]
        last_ts = self._last_ts[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            move = np.abs(np.log(close / state["close"]))
        suspects = np.flatnonzero((state["n"] > 0) & (ts > last_ts) & (move > self._suspect))
        held: list[int] = []
        for k in suspects.tolist():
            i = slots[k]
            before = [self._st[1, i]["close"]] if self._st[0, i]["n"] > 1 else []
            got = judge(bars[k].symbol, np.array([*before, self._st[0, i]["close"]]), close[k], self.rules)
            day = bars[k].ts.date().isoformat()
            if got == HELD:
                held.append(k)
                self.quality.held_out += 1
                self.quality.details.append(f"{bars[k].symbol} {day}: outlier held out (close {close[k]:g})")
            elif got != close[k]:
                self.quality.repaired += 1
                self.quality.details.append(f"{bars[k].symbol} {day}: close {close[k]:g} repaired to {got:g}")
                close[k] = got
        for k in gap_rows(last_ts, ts, L.TS_NONE, self.rules).tolist():
            if k in held:
                continue
            self._reset(slots[k])
            self.quality.gaps += 1
            self.quality.details.append(f"{bars[k].symbol} {bars[k].ts.date()}: long gap, warm-up restarts")
        for k in held:
            logger.warning("signals: %s bar at %s held out: outlier", bars[k].symbol, bars[k].ts.isoformat())
        if not held:
            return None
        keep = np.ones(len(bars), dtype=bool)
        keep[held] = False
        return np.flatnonzero(keep)

    def _extra_events(self, symbol: str, at: datetime, slot: int, close: float, xbits: int,
                      geo: Arr) -> list[SignalEvent]:  # fmt: skip
        mid, up, lo, bw, hi, lw = (float(x) for x in X.last_values(self._bst, slot, self.config.band_params))
        g = None
        if geo[2]:
            g = pattern_values(int(geo[2]), [from_us(int(t)) for t in geo[3:8]], geo[8:13].tolist(),
                               float(geo[13]), float(geo[14]), float(geo[15]))  # fmt: skip
        return make_extra_events(symbol, self.interval, at, xbits, close, (mid, up, lo, bw, hi, lw), g)

    def on_bar(self, bar: Bar) -> list[SignalEvent]:
        """One confirmed bar (or a correction of the last one). Raises ValueError if invalid."""
        problem = self._check(bar)
        if problem:
            raise ValueError(f"signals: rejected {bar.symbol} bar at {bar.ts.isoformat()}: {problem}")
        return self._run([bar], [self.slot(bar.symbol)], emit=True)

    def on_bars(self, bars: Sequence[Bar]) -> list[SignalEvent]:
        """One bar per symbol at most (ValueError otherwise), processed in one vectorised call."""
        good: list[Bar] = []
        for bar in bars:
            problem = self._check(bar)
            if problem:
                logger.warning("signals: skipped %s bar at %s: %s", bar.symbol, bar.ts.isoformat(), problem)
            else:
                good.append(bar)
        slots = [self.slot(b.symbol) for b in good]
        if len(set(slots)) != len(slots):
            raise ValueError("on_bars takes at most one bar per symbol; use on_bar for a sequence")
        return self._run(good, slots, emit=True)

    def warm_up(self, symbol: str, bars: Sequence[Bar], *, rules: QualityRules | None = None) -> None:
        """Cold start of `symbol` from stored bars (any order).

        The bars first go through the one rule for bad bars (`core.quality`, the same as backtests
        and imports): duplicates resolved, outliers and invalid bars held out, OHLC and adjustment
        factors repaired. After a gap longer than `rules.max_gap_days` the indicators restart their
        warm-up: only the bars after the last such gap are used. Replaces the symbol's state; emits
        nothing, but events that fire on these bars count as emitted (a re-fetch of the last stored
        bar does not repeat them).
        """
        good: list[Bar] = []
        for bar in bars:
            problem = self._check_input(bar) if bar.symbol == symbol else f"symbol is not {symbol}"
            if problem:
                logger.warning(
                    "signals: warm-up skipped %s bar at %s: %s", bar.symbol, bar.ts.isoformat(), problem
                )
            else:
                good.append(bar)
        cleaned = clean_bars(good, rules or self.rules, symbol=symbol)
        if cleaned.report.excluded or cleaned.report.repaired or cleaned.gap_rows:
            logger.warning("signals: warm-up of %s: %s", symbol, cleaned.report.summary())
        use = cleaned.bars[cleaned.gap_rows[-1] :] if cleaned.gap_rows else cleaned.bars
        i = self.slot(symbol)
        self._reset(i, bars=len(use))
        self._run(use, [i] * len(use), emit=False)

    def _check_input(self, bar: Bar) -> str | None:
        """Problems the bad-bar rule cannot mend: wrong interval, naive timestamp."""
        if bar.interval is not self.interval and bar.interval != self.interval:
            return f"interval {bar.interval} but this engine runs {self.interval}"
        tz = bar.ts.tzinfo
        if tz is None or (tz is not UTC and bar.ts.utcoffset() is None):
            return "naive timestamp"
        return None

    # ---- inspection ---------------------------------------------------------------------------
    def symbols(self) -> list[str]:
        return list(self._names)

    def bars_seen(self, symbol: str) -> int:
        i = self._index[symbol]
        return int(self._st[0, i]["n"])

    def snapshot(self, symbol: str) -> dict[str, float | None]:
        """Latest close, sma_fast, sma_slow, rsi, vol_avg and volume (None while not yet defined).

        Raises KeyError for a symbol the engine has never seen.
        """
        if symbol not in self._index:
            raise KeyError(f"signals: no state for {symbol!r}")
        c, fa, sl, r, va, v, _ = self.values_of(self._index[symbol])
        raw = {"close": c, "sma_fast": fa, "sma_slow": sl, "rsi": r, "vol_avg": va, "volume": v}
        return {k: (None if np.isnan(x) else x) for k, x in raw.items()}

    def nbytes(self) -> int:
        """Bytes held by the state arrays (all `capacity` rows)."""
        return sum(int(getattr(self, name).nbytes) for name in self._ARRAYS)

    # ---- persistence --------------------------------------------------------------------------
    def dump_state(self) -> bytes:
        """The state as a blob (only the rows in use); `load_state` restores it."""
        used = len(self.symbols())
        arrays = {
            name.lstrip("_"): getattr(self, name)[:, :used]
            if name in self._BY_COLUMN
            else getattr(self, name)[:used]
            for name in self._ARRAYS
        }
        return _state.dump(_state.SavedState(self.config, self.interval, self.symbols(), arrays))

    @classmethod
    def load_state(cls, data: bytes) -> SignalEngine:
        """Restore an engine from `dump_state`; ValueError if the blob is not a state of this format."""
        saved = _state.load(data, tuple(name.lstrip("_") for name in cls._ARRAYS))
        n = len(saved.symbols)
        engine = cls(saved.config, saved.interval, capacity=max(1, n))
        for s in saved.symbols:
            engine.slot(s)
        for name in cls._ARRAYS:
            target, arr = getattr(engine, name), saved.arrays[name.lstrip("_")]
            if name in cls._BY_COLUMN:  # instrument first, like the others
                target, arr = np.moveaxis(target, 1, 0), np.moveaxis(arr, 1, 0)
            if arr.shape[1:] != target.shape[1:] or arr.shape[0] != n or arr.dtype != target.dtype:
                raise ValueError(
                    f"signals: saved state array {name} ({arr.shape}, {arr.dtype}) does not fit this engine"
                )
            target[:n] = arr
        return engine
