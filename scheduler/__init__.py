"""The one scheduler: staggered jobs that orchestrate market, signals, news and delivery."""

from scheduler.calendars import MarketSpec, SessionCalendar, default_specs
from scheduler.engines import engine_factory, signal_config
from scheduler.jobs import JobDef, JobKind, fire_times, plan_jobs
from scheduler.lifecycle import install_signal_handlers, remove_signal_handlers, run_until_signalled
from scheduler.pipeline import EvalResult, SignalPipeline
from scheduler.ports import BrieferPort, EnginePort, MarketPort, NewsPort
from scheduler.replay import ReplayResult, replay
from scheduler.runtime import Runtime

__all__ = [
    "BrieferPort",
    "EnginePort",
    "EvalResult",
    "JobDef",
    "JobKind",
    "MarketPort",
    "MarketSpec",
    "NewsPort",
    "ReplayResult",
    "Runtime",
    "SessionCalendar",
    "SignalPipeline",
    "default_specs",
    "engine_factory",
    "fire_times",
    "install_signal_handlers",
    "plan_jobs",
    "remove_signal_handlers",
    "replay",
    "run_until_signalled",
    "signal_config",
]
