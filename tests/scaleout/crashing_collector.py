"""A collector that stores and publishes signal events on cue, then waits to be killed (issue 20's
restart-while-Redis-is-down test). `python -m tests.scaleout.crashing_collector CUE N` with the
FINSIGNAL_* environment of the test: logs `ready` once the bus re-publishes from the database (the
stream's mark exists), stores N events and publishes them when the file CUE exists, logs `stored`."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.settings import load_settings
from core.types import Interval, SignalEvent, SignalType
from finsignal.container import open_app
from finsignal.runtime import NoDelivery
from finsignal.scaleout import StoredSignals
from market.bus import BusNotifier
from market.redis_bus import RedisEventBus

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def events(n: int) -> list[SignalEvent]:
    return [
        SignalEvent("AAPL", SignalType.VOLUME_SPIKE, Interval.D1, T0 + timedelta(days=i), 100.0 + i, {}, 3.0)
        for i in range(n)
    ]


async def main(cue: Path, n: int) -> None:
    async with open_app(load_settings(role="collector")) as app:
        assert isinstance(app.bus, RedisEventBus)
        app.bus.set_store(StoredSignals(app.repos))
        while app.bus.stats()["state"] != "ok" or await app.bus.mark() is None:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        print("ready", file=sys.stderr, flush=True)
        while not await asyncio.to_thread(cue.exists):  # noqa: ASYNC110 (the test's cue)
            await asyncio.sleep(0.05)
        stored = await app.repos.events.add_events(events(n))
        await BusNotifier(NoDelivery(), app.bus).publish(stored)
        print(f"stored {len(stored)}", file=sys.stderr, flush=True)
        await asyncio.Event().wait()  # until SIGKILL


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
