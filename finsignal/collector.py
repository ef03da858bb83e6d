"""`finsignal run --role collector` (issue 20): the one process that runs the scheduler and asks outside
sources, held by a database lease so that exactly one collector is active.

A collector takes the lease `role:collector` (renewed every third of `collector_lease_ttl_s`) before it
starts the scheduler; a second collector waits as a standby, trying the lease at the same pace, and
takes over when the active one stops renewing it (a crash, `kill -9`, a lost host): within
`collector_lease_ttl_s` plus one try. A clean stop releases the lease, so a standby takes over at once.
A collector that finds its lease taken by another (it was paused longer than the TTL) stops its
scheduler and becomes a standby again. A database outage while holding the lease does not stop the
collector (nobody else can take the lease meanwhile); the jobs meet the outage and retry as before.

The scheduler is built while waiting (a standby starts at once). On taking over the collector starts it
and fills the hot tier with the watched instruments' quotes (API and bot processes never fetch, so their
reads are served from there). All collectors share one owner name for the jobs' own leases, so a
standby that takes over runs the jobs at once instead of waiting out the dead collector's job leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from core.instance import instance_id
from core.ports import StateRepo
from core.timeutil import Clock
from finsignal.container import App
from scheduler import Runtime

logger = logging.getLogger(__name__)
LEASE = "role:collector"
JOBS_OWNER = "collector:jobs"  # the job leases' owner, the same for every collector (one is active)


class CollectorLease:
    """The collector's lease: `wait` as a standby until it is ours, `hold` it until stopped or lost."""

    def __init__(self, state: StateRepo, owner: str, ttl_s: float, clock: Clock) -> None:
        self._state, self.owner, self._ttl, self._clock = state, owner, ttl_s, clock
        self._every = ttl_s / 3

    async def _try(self) -> bool | None:
        """True: ours; False: another holds it; None: the database did not answer."""
        try:
            return await self._state.try_lease(LEASE, self.owner, self._clock.now(), self._ttl)
        except Exception as exc:
            logger.warning("collector lease: database unavailable (%s)", exc)
            return None

    async def wait(self, stop: asyncio.Event) -> bool:
        """Standby until the lease is ours (True) or `stop` is set (False)."""
        announced = False
        while not stop.is_set():
            if await self._try():
                logger.info("collector %s is active (lease %s)", self.owner, LEASE)
                return True
            if not announced:
                logger.info("collector %s on standby: another collector holds %s", self.owner, LEASE)
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._every)
        return False

    async def hold(self, stop: asyncio.Event) -> bool:
        """Renew until `stop` is set (returns False) or another collector has the lease (True)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._every)
            if stop.is_set():
                return False
            if await self._try() is False:
                logger.warning("collector %s lost lease %s to another collector", self.owner, LEASE)
                return True

    async def release(self) -> None:
        try:
            await self._state.release_lease(LEASE, self.owner)
        except Exception as exc:
            logger.warning("collector lease not released (%s): it lapses by itself", exc)


async def fill_hot_tier(app: App) -> int:
    """Fetch the quotes of every watched instrument once (into the hot tier and onto the bus)."""
    try:
        watched = set(await app.repos.watches.list_watched_symbols())
        instruments = [i for i in await app.repos.instruments.list_instruments() if i.symbol in watched]
        return await app.market.refresh_quotes(instruments) if instruments else 0
    except Exception as exc:
        logger.warning("hot tier not filled at start (%s): the price jobs fill it", exc)
        return 0


async def run_collector(app: App, make_runtime: Callable[[], Runtime]) -> int:
    """Standby, then active, until SIGTERM/SIGINT; returns the exit code."""
    settings = app.settings
    owner = instance_id(settings.instance_id, settings.data_dir, "collector")
    lease = CollectorLease(app.repos.state, owner, settings.collector_lease_ttl_s, app.clock)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        while True:
            # built before taking the lease, off the loop (the market calendars take seconds): the loop
            # keeps renewing, and a standby is ready to start the moment the lease is its own
            runtime = await asyncio.to_thread(make_runtime)
            if not await lease.wait(stop):
                break
            runtime.start()
            filled = await fill_hot_tier(app)
            logger.info("collector: %d quotes in the hot tier, scheduler running", filled)
            lost = await lease.hold(stop)
            await runtime.stop()
            if not lost:
                break
        await lease.release()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    logger.info("collector %s stopped", owner)
    return 0
