"""The live signal engine built from settings (the default when no engine factory is injected)."""

from __future__ import annotations

from collections.abc import Callable

from core.types import Interval
from scheduler.ports import EnginePort
from signals import SignalConfig, SignalEngine


def engine_factory(
    config: SignalConfig | None = None, interval: Interval = Interval.D1
) -> Callable[[], EnginePort]:
    """A factory of fresh `SignalEngine`s with `config` (defaults when None)."""
    cfg = config if config is not None else SignalConfig()

    def make() -> EnginePort:
        return SignalEngine(config=cfg, interval=interval)

    return make
