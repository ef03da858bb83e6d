"""Signal configuration: indicator periods, thresholds and the enabled signal types."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import UsageError
from core.settings import Settings
from core.types import ALL_SIGNALS, SignalType

MAX_WINDOW = 16_383  # longest period: the engine's counters are uint16 and count up to 4 windows


_WINDOWS = (
    "sma_fast",
    "sma_slow",
    "rsi_period",
    "volume_window",
    "bb_period",
    "bb_squeeze_window",
    "bb_squeeze_within",
    "high_low_window",
    "pattern_period",
    "pattern_max_bars",
    "pattern_min_bars",
)


class SignalConfigError(UsageError, ValueError):
    """A configuration that makes no sense (a usage error; also a ValueError for older callers)."""


@dataclass(frozen=True, kw_only=True)
class SignalConfig:
    """Periods and thresholds of the indicators and signal rules.

    `rsi_flat` is the RSI of a series whose average gain and loss are both exactly zero (no
    change at all since the start). TA-Lib returns 0.0 there, which would read as "oversold" on a
    halted or newly listed instrument; the default 50.0 (neutral) is the only deliberate
    difference from TA-Lib. With no losses but some gains the RSI is 100, as in TA-Lib.
    """

    sma_fast: int = 50
    sma_slow: int = 200
    rsi_period: int = 14
    rsi_overbought: float = 70.0
    rsi_oversold: float = 30.0
    volume_window: int = 20
    volume_multiple: float = 2.0
    enabled: frozenset[SignalType] = ALL_SIGNALS
    rsi_flat: float = 50.0
    bb_period: int = 20
    bb_stddev: float = 2.0
    bb_squeeze_window: int = 125
    bb_squeeze_within: int = 10
    high_low_window: int = 252
    pattern_period: int = 14
    pattern_swing: float = 3.0
    pattern_tolerance: float = 0.5
    pattern_max_bars: int = 250
    pattern_min_bars: int = 15

    def __post_init__(self) -> None:
        for name in _WINDOWS:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_WINDOW:
                raise SignalConfigError(
                    f"SignalConfig.{name} must be an integer in 1..{MAX_WINDOW}, got {value!r}"
                )
        if self.sma_fast >= self.sma_slow:
            raise SignalConfigError(
                f"SignalConfig needs sma_fast < sma_slow, got {self.sma_fast} and {self.sma_slow} "
                "(otherwise golden and death crosses swap)"
            )
        if self.rsi_period < 2:
            raise SignalConfigError(f"SignalConfig.rsi_period must be at least 2, got {self.rsi_period}")
        if not 0.0 <= self.rsi_oversold < self.rsi_overbought <= 100.0:
            raise SignalConfigError(
                "SignalConfig needs 0 <= rsi_oversold < rsi_overbought <= 100, got "
                f"{self.rsi_oversold} and {self.rsi_overbought}"
            )
        if not self.volume_multiple > 0.0:
            raise SignalConfigError(f"SignalConfig.volume_multiple must be > 0, got {self.volume_multiple}")
        for name in ("bb_stddev", "pattern_swing", "pattern_tolerance"):
            if not 0.0 < getattr(self, name) < float("inf"):
                raise SignalConfigError(
                    f"SignalConfig.{name} must be a positive number, got {getattr(self, name)!r}"
                )
        if not 0.0 <= self.rsi_flat <= 100.0:
            raise SignalConfigError(f"SignalConfig.rsi_flat must be within 0..100, got {self.rsi_flat}")
        unknown = [s for s in self.enabled if not isinstance(s, SignalType)]
        if unknown:
            raise SignalConfigError(f"SignalConfig.enabled holds non-SignalType values: {unknown!r}")
        object.__setattr__(self, "enabled", frozenset(self.enabled))

    @property
    def band_params(self) -> tuple[int, float, int, int, int]:
        """The Bollinger / 52-week kernel's parameters, in its order."""
        return (self.bb_period, self.bb_stddev, self.bb_squeeze_window, self.bb_squeeze_within,
                self.high_low_window)  # fmt: skip

    @property
    def pattern_params(self) -> tuple[int, float, float, int, int]:
        """The pattern kernel's parameters, in its order."""
        return (self.pattern_period, self.pattern_swing, self.pattern_tolerance, self.pattern_max_bars,
                self.pattern_min_bars)  # fmt: skip

    @property
    def warmup(self) -> int:
        """Bars needed before every indicator exists and every rule can fire (201 by default).

        A cross needs the SMA on this bar and the previous one (sma_slow + 1 bars); an RSI cross
        needs two RSI values (rsi_period + 2); a volume spike transition needs the spike state of
        the previous bar, whose baseline is the average of the `volume_window` bars before it
        (volume_window + 2). RSI keeps a fading memory of its seed: warm up with more history
        (>= 250 extra bars) for RSI values that agree with a longer history to ~1e-8.
        """
        return max(self.sma_fast + 1, self.sma_slow + 1, self.rsi_period + 2, self.volume_window + 2)


def signal_config(settings: Settings) -> SignalConfig:
    """SignalConfig from the FINSIGNAL_SMA_* / RSI_* / VOLUME_* settings: one place, used live, in
    backtests, ratings and charts."""
    return SignalConfig(
        sma_fast=settings.sma_fast,
        sma_slow=settings.sma_slow,
        rsi_period=settings.rsi_period,
        rsi_overbought=settings.rsi_overbought,
        rsi_oversold=settings.rsi_oversold,
        volume_window=settings.volume_window,
        volume_multiple=settings.volume_multiple,
        bb_period=settings.bb_period,
        bb_stddev=settings.bb_stddev,
        bb_squeeze_window=settings.bb_squeeze_window,
        bb_squeeze_within=settings.bb_squeeze_within,
        high_low_window=settings.high_low_window,
        pattern_swing=settings.pattern_swing,
        pattern_tolerance=settings.pattern_tolerance,
        pattern_max_bars=settings.pattern_max_bars,
    )
