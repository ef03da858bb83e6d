"""The live signal engine built from settings (the default when no engine factory is injected)."""

from __future__ import annotations

from collections.abc import Callable

from core.settings import Settings
from core.types import Interval
from scheduler.ports import EnginePort
from signals import SignalConfig, SignalEngine


def signal_config(settings: Settings) -> SignalConfig:
    """SignalConfig from the FINSIGNAL_SMA_* / RSI_* / VOLUME_* settings."""
    return SignalConfig(
        sma_fast=settings.sma_fast,
        sma_slow=settings.sma_slow,
        rsi_period=settings.rsi_period,
        rsi_overbought=settings.rsi_overbought,
        rsi_oversold=settings.rsi_oversold,
        volume_window=settings.volume_window,
        volume_multiple=settings.volume_multiple,
    )


def engine_factory(
    config: SignalConfig | None = None, interval: Interval = Interval.D1
) -> Callable[[], EnginePort]:
    """A factory of fresh `SignalEngine`s with `config` (defaults when None)."""
    cfg = config if config is not None else SignalConfig()

    def make() -> EnginePort:
        return SignalEngine(config=cfg, interval=interval)

    return make
