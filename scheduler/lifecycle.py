"""SIGTERM/SIGINT handling for a Runtime that runs without PTB (role=scheduler)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.runtime import Runtime

logger = logging.getLogger(__name__)


def install_signal_handlers(
    runtime: Runtime,
    loop: asyncio.AbstractEventLoop | None = None,
    *,
    signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
) -> asyncio.Event:
    """On the first signal: `await runtime.stop()` (no new jobs, running ones finish, state saved),
    then set the returned Event. A second signal while stopping is logged and ignored."""
    loop = loop or asyncio.get_running_loop()
    stopped = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def _stop() -> None:
        try:
            await runtime.stop()
        finally:
            stopped.set()

    def _on_signal(sig: signal.Signals) -> None:
        if tasks:
            logger.warning("%s received while stopping; still waiting for running jobs", sig.name)
            return
        logger.info("%s received: stopping the scheduler", sig.name)
        tasks.append(loop.create_task(_stop()))

    for sig in signals:
        loop.add_signal_handler(sig, _on_signal, sig)
    return stopped


def remove_signal_handlers(
    loop: asyncio.AbstractEventLoop, signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT)
) -> None:
    """Undo `install_signal_handlers`."""
    for sig in signals:
        loop.remove_signal_handler(sig)


async def run_until_signalled(runtime: Runtime) -> None:
    """Start `runtime`, run until SIGTERM/SIGINT, stop it cleanly (for `finsignal run --role scheduler`)."""
    loop = asyncio.get_running_loop()
    stopped = install_signal_handlers(runtime, loop)
    try:
        runtime.start()
        await stopped.wait()
    finally:
        remove_signal_handlers(loop)
