"""The live signal engine built from settings (the default when no engine factory is injected)."""

from __future__ import annotations

from collections.abc import Callable

from core.types import Interval
from scheduler.ports import EnginePort
from signals import SignalConfig, SignalEngine
from signals.combo_engine import ComboEngine


def engine_factory(
    config: SignalConfig | None = None, interval: Interval = Interval.D1
) -> Callable[[], EnginePort]:
    """A factory of fresh engines with `config` (defaults when None): the `SignalEngine` wrapped in a
    `ComboEngine`, which fires the confirmed combinations the pipeline hands it (`set_combos`)."""
    cfg = config if config is not None else SignalConfig()

    def make() -> EnginePort:
        return ComboEngine(SignalEngine(config=cfg, interval=interval))

    return make
