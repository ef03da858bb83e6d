"""The cold tier through the real composition root, on SQLite and MariaDB: a backtest and /v1/bars over
a range spanning archived and live months answer byte for byte as before archiving; the CLI."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import hash_secret
from backtest import run_backtest
from backtest.report import render_text
from core.settings import Settings
from core.types import Bar, Interval, Market
from finsignal.archive import archive_job, archive_older_than
from finsignal.container import open_app
from finsignal.webapi import build_asgi_app
from market.resolver import make_instrument
from scheduler.jobs import JobKind, plan_jobs
from storage.tiered import TieredBarRepo
from tests.fakes.fake_sources import FakeSources
from tests.fakes.source_payloads import daily_rows
from tests.market.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
KEY = "fsk_read-key-for-tests-000000000000"
START = date(2023, 1, 2)
CLOSES = [100.0 + 12.0 * math.sin(i / 23.0) + i * 0.04 for i in range(900)]
RUN_AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources(latency_s=0.0) as server:
        server.add_yahoo("AAPL", daily_rows(START, CLOSES))
        yield server


def bars() -> list[Bar]:
    return [
        Bar("AAPL", Interval.D1, datetime(r.day.year, r.day.month, r.day.day, tzinfo=UTC),
            r.open or 0, r.high or 0, r.low or 0, r.close or 0, r.volume or 0,
            adj_factor=0.5 if i < 300 else 1.0, source="yahoo")
        for i, r in enumerate(daily_rows(START, CLOSES))
    ]  # fmt: skip


async def backtest_text(settings: Settings) -> tuple[str, list[dict[str, Any]]]:
    async with open_app(settings) as app:
        history = await app.load_history(["AAPL"], years=2)
        result = run_backtest(history, years=2, run_at=RUN_AT)
    return render_text(result, "AAPL"), result.records()


async def api_pages(settings: Settings) -> list[Any]:
    app = build_asgi_app(settings)
    out: list[Any] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            queries: list[dict[str, str]] = [
                {"start": "2023-06-01", "end": "2025-01-31"},
                {"start": "2023-02-01", "end": "2023-03-31", "adjusted": "true"},
                {"limit": "5"},
                {"end": "2024-01-10", "limit": "7"},
            ]
            for query in queries:
                params: dict[str, str] | None = query
                while params is not None:
                    got = await client.get("/v1/bars/AAPL", params=params, headers={"X-API-Key": KEY})
                    assert got.status_code == 200, got.text
                    body = got.json()
                    out.append(body)
                    cursor = body["next_cursor"] if "limit" not in query else None
                    params = None if cursor is None else {**query, "cursor": cursor}
    return out


async def test_backtest_and_v1_bars_answer_the_same_after_archiving(
    fake: FakeSources, empty_db_url: str, tmp_path: Path
) -> None:
    settings = make_settings(fake, database_url=empty_db_url, cold_dir=tmp_path / "cold", api_max_bars=200)
    async with open_app(settings) as app:
        await app.repos.instruments.upsert_instruments([make_instrument("AAPL", Market.US)])
        await app.repos.bars.upsert_bars(bars())
        now = datetime.now(UTC)
        await app.repos.apikeys.add_key("reader", KEY[:8], hash_secret(KEY), False, now)
    text_before, records_before = await backtest_text(settings)
    pages_before = await api_pages(settings)
    assert len(pages_before) > 4  # the long range took several pages

    async with open_app(settings) as app:
        last = bars()[-1].ts
        report = await archive_older_than(app.db, settings, timedelta(days=400), last)
        assert report.failed == []
        assert report.months[0] == "us 2023-01"
        assert len(report.months) >= 16
        tiered = app.repos.bars
        assert isinstance(tiered, TieredBarRepo)
        assert len(await tiered.hot.list_bars("AAPL")) < len(bars()) - 300  # really gone from the table

    text_after, records_after = await backtest_text(settings)
    assert records_after == records_before
    assert text_after == text_before
    assert await api_pages(settings) == pages_before


def run_cli(settings_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **settings_env}
    return subprocess.run(
        [sys.executable, "-m", "finsignal", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_archive_command(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fs.db'}"
    env = {"FINSIGNAL_DATABASE_URL": url, "FINSIGNAL_COLD_DIR": str(tmp_path / "cold")}
    settings = Settings(database_url=url, cold_dir=tmp_path / "cold")
    async with open_app(settings) as app:
        await app.repos.instruments.upsert_instruments([make_instrument("AAPL", Market.US)])
        await app.repos.bars.upsert_bars(bars())
    bad = run_cli(env, "archive", "--older-than", "2 fortnights")
    assert bad.returncode == 2
    assert "400d, 8w, 18m or 2y" in bad.stderr
    done = run_cli(env, "archive", "--older-than", "1y", "--json")
    assert done.returncode == 0, done.stderr
    assert '"failed": []' in done.stdout
    assert (tmp_path / "cold" / "us" / "2023-01.parquet").exists()
    again = run_cli(env, "archive", "--older-than", "1y")
    assert again.returncode == 0
    assert again.stdout.startswith("0 months, 0 bars archived")
    async with open_app(settings) as app:
        assert await app.repos.bars.list_bars("AAPL") == bars()


async def test_the_daily_archive_job(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fs.db'}"
    off = Settings(database_url=url, cold_dir=tmp_path / "cold")
    on = Settings(database_url=url, cold_dir=tmp_path / "cold", cold_archive_older_than="400d")
    assert JobKind.ARCHIVE_BARS not in {j.kind for j in plan_jobs(off)}
    [job] = [j for j in plan_jobs(on, with_archive=True) if j.kind is JobKind.ARCHIVE_BARS]
    assert job.trigger.get_next_fire_time(None, datetime(2026, 3, 2, 12, tzinfo=UTC)) == datetime(
        2026, 3, 2, 20, 40, tzinfo=UTC
    )
    async with open_app(on) as app:
        assert archive_job(app.db, off, app.clock) is None
        await app.repos.instruments.upsert_instruments([make_instrument("AAPL", Market.US)])
        await app.repos.bars.upsert_bars(bars())
        run = archive_job(app.db, on, Clock())
        assert run is not None
        assert (await run()).startswith("16 months, ")  # Jan 2023 .. Apr 2024: ended 400 days before


class Clock:
    def now(self) -> datetime:
        return datetime(2025, 6, 15, 12, tzinfo=UTC)
