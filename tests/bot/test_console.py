"""Console mode: the same command logic answering typed lines, alerts printed as they fire."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

from bot.console import ConsoleChat, ConsoleNotifier
from bot.delivery import OutboxNotifier
from bot.services import BotServices
from core.ports import Repositories
from core.types import Interval, SignalEvent, SignalType
from tests.bot.fakes import make_services, make_settings

EVENT = SignalEvent(
    "FCO2.DE", SignalType.DEATH_CROSS, Interval.D1, datetime(2026, 11, 20, tzinfo=UTC), 70.0, {}, 0
)


class Untouchable:
    """Repositories that fail loudly if used: /help must work with no database and no token."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"repos.{name} used")


async def test_help_needs_no_token_and_no_database() -> None:
    settings = make_settings(token="")
    assert not settings.telegram_enabled
    services = make_services(Untouchable())  # type: ignore[arg-type]
    out = io.StringIO()
    await ConsoleChat(services, settings, stdin=io.StringIO("/help\n/start\n"), stdout=out, prompt="").run()
    text = out.getvalue()
    assert "/price SYMBOL" in text
    assert "/backtest SYMBOL" in text  # the console operator is an admin
    assert "<b>" not in text


async def test_console_session_and_alerts(sqlite_repos: Repositories) -> None:
    services: BotServices = make_services(sqlite_repos)
    out = io.StringIO()
    typed = ["/price FCO2.DE", "/watch FCO2.DE", "/watchlist", "what is $KAU25", "/frobnicate", "/price"]
    lines = "\n".join([*typed, "/lang ko", "/help", "/quit", "/help", ""])
    await ConsoleChat(
        services, make_settings(token=""), stdin=io.StringIO(lines), stdout=out, prompt=""
    ).run()
    text = out.getvalue()
    assert "FCO2.DE SparkChange" in text
    assert "Watching FCO2.DE" in text
    assert "[Unwatch FCO2.DE]" in text
    assert "KAU25" in text
    assert "9,150" in text
    assert "9,150.00" not in text
    assert "Unknown command" in text
    assert "Usage: /price SYMBOL" in text
    assert "명령어" in text  # /help after /lang ko
    assert text.count("명령어") == 1  # nothing after /quit

    printed = io.StringIO()
    notifier = ConsoleNotifier(services, stdout=printed)
    other = SignalEvent("KAU25", SignalType.VOLUME_SPIKE, Interval.D1, EVENT.ts, 9000, {}, 3)
    assert await notifier.publish([EVENT, other]) == 1
    assert "데드 크로스" in printed.getvalue()
    assert "KST" in printed.getvalue()
    # the console chat is never sent to Telegram
    [stored] = await sqlite_repos.events.add_events([EVENT])
    assert await OutboxNotifier(sqlite_repos).publish([stored]) == 0


async def test_each_chart_request_gets_its_own_file(sqlite_repos: Repositories, tmp_path: Path) -> None:
    services: BotServices = make_services(sqlite_repos)
    out = io.StringIO()
    lines = "/chart FCO2.DE\n/chart FCO2.DE\n/chart FCO2.DE 1y\n/quit\n"
    settings = make_settings(token="", data_dir=tmp_path)
    await ConsoleChat(services, settings, stdin=io.StringIO(lines), stdout=out, prompt="").run()
    files = sorted(n for n in os.listdir(tmp_path) if n.startswith("chart-") and n.endswith(".png"))
    assert len(files) == 3, out.getvalue()
    assert all(name.startswith("chart-FCO2.DE-") for name in files)
    assert sum("-1y-" in name for name in files) == 1
