"""The one scheduler: staggered jobs that orchestrate market, signals, news and delivery.

Wiring (composition root)::

    runtime = Runtime(settings, repos, market=market_data, notifier=outbox_notifier,
                      briefer=briefer, news=news_service,        # engine built from settings
                      history=market_data)  # rate_signals loads missing years of history first
    # PTB: post_init -> runtime.start(); post_shutdown -> await runtime.stop()
    # role=scheduler without PTB: await run_until_signalled(runtime)
    report = await runtime.health_report()                         # `finsignal status`, admin /status

    result = await replay(live_repos, ["AAPL"], date(2026, 1, 2), None, speed=0,
                          notifier=console_notifier, config=signal_config(settings),
                          scratch=scratch_db.repos)                # never writes live event tables

Jobs (ids): update_prices.<market>, snapshot_prev_close.<market>, finalise_bars.<market> (which
runs evaluate_signals.<market> on the new bars), fetch_eex_auctions, crawl_news, send_briefing.<HHMM>,
rate_signals (daily at `ratings_time` KST, once after start-up, and as rate_signals:finalise_bars.<m>
right after a finalise that brought bars of watched symbols without any rating);
markets: us, xetra, krx, kets. Every job takes the database lease `job:<id>` first.
"""

from scheduler.calendars import MarketSpec, SessionCalendar, default_specs
from scheduler.engines import engine_factory
from scheduler.jobs import JobDef, JobKind, fire_times, plan_jobs
from scheduler.lifecycle import install_signal_handlers, remove_signal_handlers, run_until_signalled
from scheduler.pipeline import EvalResult, SignalPipeline
from scheduler.ports import BrieferPort, EnginePort, HistoryPort, MarketPort, NewsPort
from scheduler.ratings import RateResult, SignalRater
from scheduler.replay import ReplayResult, replay
from scheduler.runtime import Runtime
from signals import signal_config

__all__ = [
    "BrieferPort",
    "EnginePort",
    "EvalResult",
    "HistoryPort",
    "JobDef",
    "JobKind",
    "MarketPort",
    "MarketSpec",
    "NewsPort",
    "RateResult",
    "ReplayResult",
    "Runtime",
    "SessionCalendar",
    "SignalPipeline",
    "SignalRater",
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
