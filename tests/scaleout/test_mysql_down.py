"""MySQL down under the collector (issue 20), on a private MariaDB that is SIGKILLed and restarted: the
collector's job meets the outage as a storage fault (recorded, retried, shown by the health report and
the metrics), nothing crashes; once the server is back the next run stores the bars the source still
serves from the last stored one on (the source is the buffer) and their signals fire once."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import pytest

from core.ports import Repositories
from core.types import Bar, Instrument, Interval
from market.service import UpdateResult
from scheduler import Runtime
from scheduler.health import prometheus_text
from storage import Database
from tests.fakes.mariadb import MySQLTestServer, start_mariadb
from tests.scheduler.conftest import IN_US_SESSION, make_settings
from tests.scheduler.fakes import (
    FakeMarket,
    FixedClock,
    RecordingNotifier,
    crossing_closes,
    daily_bars,
    engine_factory,
    instrument,
)

EVENTS = 4  # the jump fires breakout_200, rsi_overbought, bb_upper_break and high_52w


class SourceMarket(FakeMarket):
    """Serves, like `MarketData.update`, every available bar newer than the last stored one: a run
    that failed to store them gets them again next time."""

    def __init__(self, repos: Repositories) -> None:
        super().__init__(repos)
        self.available: dict[str, list[Bar]] = {}

    async def update(
        self, instruments: Sequence[Instrument], *, interval: Interval = Interval.D1
    ) -> UpdateResult:
        result = UpdateResult()
        for inst in instruments:
            last = await self.repos.bars.last_bar(inst.symbol, interval)
            new = [b for b in self.available.get(inst.symbol, []) if last is None or b.ts > last.ts]
            if new:
                await self.repos.bars.upsert_bars(new)
                result.new_bars[inst.symbol] = new
        return result


@pytest.fixture
def mariadb() -> Iterator[MySQLTestServer]:
    try:
        server = start_mariadb()
    except RuntimeError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"MariaDB NOT TESTED: {exc}", pytrace=False)
        pytest.skip(f"!!! MariaDB NOT TESTED: {str(exc).splitlines()[0]}")
    yield server
    server.stop()


@pytest.mark.timeout(300)
async def test_the_collector_rides_out_mariadb_killed_and_restarted(mariadb: MySQLTestServer) -> None:
    db = await Database.open(mariadb.create_database(), migrate=True)
    try:
        repos = db.repos
        closes, jump = crossing_closes()
        await repos.instruments.upsert_instruments([instrument("AAA")])
        await repos.bars.upsert_bars(daily_bars("AAA", closes))
        market, notifier = SourceMarket(repos), RecordingNotifier(repos)
        rt = Runtime(make_settings(), repos, market=market, notifier=notifier, engine_factory=engine_factory,
                     clock=FixedClock(IN_US_SESSION), owner_id="collector")  # fmt: skip
        await rt.ready()
        new_day = daily_bars("AAA", [*closes, jump])[-1]
        market.available["AAA"] = [new_day]

        mariadb.kill()
        down = await rt.run_job("finalise_bars.us")
        assert down.outcome == "error"
        assert down.detail == "storage fault: unavailable"
        report = await rt.health_report()
        assert report["storage"] == "unavailable"
        assert report["storage_faults"]["scheduler"] == "unavailable"
        assert 'finsignal_storage_fault{fault="unavailable"} 1.0' in prometheus_text(report)
        assert notifier.published == []

        mariadb.restart()
        up = await rt.run_job("finalise_bars.us")
        assert up.outcome == "ok", up.detail
        assert "1 new bars" in up.detail
        assert (await repos.bars.last_bar("AAA")) == new_day
        assert len(notifier.published) == EVENTS
        report = await rt.health_report()
        assert report["storage"] == "ok"
        assert "storage_faults" not in report
        assert (await rt.run_job("finalise_bars.us")).outcome == "ok"
        assert len(notifier.published) == EVENTS  # nothing twice
        await rt.stop()
    finally:
        await db.close()
