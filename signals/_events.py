"""Building SignalEvent objects from indicator values: one function for the live and batch paths."""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime, timedelta

import numpy as np

from core.types import Interval, SignalEvent, SignalType

TYPES: tuple[SignalType, ...] = tuple(SignalType)  # bit b of the kernel <-> TYPES[b]
BIT: dict[SignalType, int] = {s: 1 << b for b, s in enumerate(TYPES)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def enabled_bits(enabled: frozenset[SignalType]) -> int:
    bits = 0
    for s in enabled:
        bits |= BIT[s]
    return bits


def to_us(ts: datetime) -> int:
    """Aware datetime -> integer microseconds since the epoch (naive datetimes are refused)."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"timestamp {ts!r} is naive; bars carry aware UTC timestamps")
    return (ts - _EPOCH) // _US


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(us))


def strength_of(signal: SignalType, close: float, fast: float, slow: float, rsi: float, volume: float,
                vol_base: float) -> float:  # fmt: skip
    """The signal's own figure: % distance from SMA slow, fast-vs-slow spread in %, RSI level, or
    volume as a multiple of the previous bars' average."""
    if signal in (SignalType.BREAKOUT_200, SignalType.BREAKDOWN_200):
        return (close / slow - 1.0) * 100.0
    if signal in (SignalType.GOLDEN_CROSS, SignalType.DEATH_CROSS):
        return (fast / slow - 1.0) * 100.0
    if signal in (SignalType.RSI_OVERBOUGHT, SignalType.RSI_OVERSOLD):
        return rsi
    return volume / vol_base


def make_events(
    symbol: str, interval: Interval, ts: datetime, bits: int, close: float, fast: float, slow: float,
    rsi: float, vol_avg: float, volume: float, vol_base: float,
) -> list[SignalEvent]:  # fmt: skip
    """The events of one bar, in SignalType declaration order. NaN values are left out of `values`."""
    out: list[SignalEvent] = []
    if not bits:
        return out
    raw = {
        "close": close,
        "sma_fast": fast,
        "sma_slow": slow,
        "rsi": rsi,
        "vol_avg": vol_avg,
        "volume": volume,
        "vol_base": vol_base,
    }
    values = {k: float(v) for k, v in raw.items() if not math.isnan(v)}
    for b, signal in enumerate(TYPES):
        if bits & (1 << b):
            strength = strength_of(signal, close, fast, slow, rsi, volume, vol_base)
            out.append(SignalEvent(symbol, signal, interval, ts, float(close), values, float(strength)))
    return out


def as_datetimes(ts: object, n: int) -> list[datetime]:
    """Bar timestamps as aware UTC datetimes.

    Accepts aware datetimes, numpy datetime64 arrays and pandas DatetimeIndex (naive ones read as UTC).
    """
    pd = sys.modules.get("pandas")  # a DatetimeIndex exists only if pandas is loaded
    if pd is not None and isinstance(ts, pd.DatetimeIndex):
        ts = (ts.tz_convert("UTC").tz_localize(None) if ts.tz is not None else ts).to_numpy()
    if isinstance(ts, np.ndarray) and np.issubdtype(ts.dtype, np.datetime64):
        us = ts.astype("datetime64[us]").astype(np.int64)
        out = [from_us(int(u)) for u in us]
    else:
        seq = list(ts)  # type: ignore[call-overload]
        out = []
        for t in seq:
            if isinstance(t, np.datetime64):
                out.append(from_us(int(t.astype("datetime64[us]").astype(np.int64))))
            elif isinstance(t, datetime):
                to_us(t)  # refuses naive timestamps
                out.append(t.astimezone(UTC))
            else:
                raise ValueError(f"timestamp {t!r} is neither a datetime nor a numpy datetime64")
    if len(out) != n:
        raise ValueError(f"got {len(out)} timestamps for {n} bars")
    return out


EXTRA_FIRST = 7  # TYPES index of the first type of the Bollinger / 52-week / pattern kernel
PATTERNS: tuple[SignalType, ...] = (
    SignalType.HEAD_AND_SHOULDERS,
    SignalType.INVERSE_HEAD_AND_SHOULDERS,
    SignalType.DOUBLE_TOP,
    SignalType.DOUBLE_BOTTOM,
)


def extra_enabled_bits(enabled: frozenset[SignalType]) -> int:
    """The extra kernel's local bits of the enabled types."""
    return enabled_bits(enabled) >> EXTRA_FIRST


def band_strength(
    signal: SignalType, close: float, upper: float, lower: float, high: float, low: float
) -> float:
    """% beyond the band (the squeeze breakout: signed, above the upper band positive) or beyond
    the prior 52-week extreme."""
    if signal is SignalType.BB_UPPER_BREAK or (signal is SignalType.BB_SQUEEZE_BREAKOUT and close > upper):
        return (close / upper - 1.0) * 100.0
    if signal in (SignalType.BB_LOWER_BREAK, SignalType.BB_SQUEEZE_BREAKOUT):
        return (close / lower - 1.0) * 100.0
    return (close / (high if signal is SignalType.HIGH_52W else low) - 1.0) * 100.0


def pattern_values(kind: int, stamps: list[datetime], prices: list[float], neck_start: float, neckline: float,
                   target: float) -> dict[str, float]:  # fmt: skip
    """A pattern's geometry as event values: swing points p1.. (closes, p1_t.. epoch seconds) in
    time order, the neckline at the first swing point and at the confirming bar, the target."""
    first = 0 if kind <= 2 else 2  # head and shoulders: 5 swing points; double top/bottom: 3
    out: dict[str, float] = {}
    for j in range(first, 5):
        out[f"p{j - first + 1}"] = float(prices[j])
        out[f"p{j - first + 1}_t"] = stamps[j].timestamp()
    out.update(neck_start=float(neck_start), neckline=float(neckline), target=float(target))
    return out


def make_extra_events(
    symbol: str, interval: Interval, ts: datetime, bits: int, close: float,
    bands: tuple[float, float, float, float, float, float], geometry: dict[str, float] | None,
) -> list[SignalEvent]:  # fmt: skip
    """Events of the extra kernel's local `bits` on one bar. `bands` = (middle, upper, lower,
    bandwidth, prior 52-week high, prior 52-week low); `geometry` the pattern's values."""
    out: list[SignalEvent] = []
    mid, up, lo, bw, hi, lw = bands
    raw = {"close": close, "bb_mid": mid, "bb_upper": up, "bb_lower": lo, "bb_width": bw,
           "high_52w": hi, "low_52w": lw}  # fmt: skip
    values = {k: float(v) for k, v in raw.items() if not math.isnan(v)}
    for b in range(len(TYPES) - EXTRA_FIRST):
        if not bits & (1 << b):
            continue
        signal = TYPES[EXTRA_FIRST + b]
        if signal in PATTERNS and geometry is not None:
            vals = {"close": float(close), **geometry}
            strength = (geometry["target"] / close - 1.0) * 100.0
        else:
            vals = values
            strength = band_strength(signal, close, up, lo, hi, lw)
        out.append(SignalEvent(symbol, signal, interval, ts, float(close), vals, float(strength)))
    return out
