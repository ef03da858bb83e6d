"""build_application / run_application: configuration errors, lifecycle hooks, webhook mode, secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

import httpx
import pytest

from bot.app import build_application, run_application
from bot.handlers import BotApp
from bot.services import BotServices
from core.errors import ConfigError
from tests.bot.fakes import make_settings
from tests.fakes.fake_telegram import FakeTelegram, message_dict


def test_no_token_is_a_config_error(services: BotServices) -> None:
    with pytest.raises(ConfigError, match="FINSIGNAL_TELEGRAM_TOKEN"):
        build_application(make_settings(token=""), services)


async def test_webhook_mode_needs_a_url(services: BotServices) -> None:
    settings = make_settings(telegram_mode="webhook", webhook_url="")
    app = build_application(settings, services)
    with pytest.raises(ConfigError, match="FINSIGNAL_WEBHOOK_URL"):
        await run_application(app, settings, asyncio.Event())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_hooks_sender_and_no_token_in_logs(
    services: BotServices, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    calls: list[str] = []

    async def started(app: BotApp) -> None:
        calls.append("startup")

    async def stopped(app: BotApp) -> None:
        calls.append("shutdown")

    async with FakeTelegram() as tg:
        settings = make_settings(tg.base_url, token=tg.token)
        app = build_application(settings, services, on_startup=started, on_shutdown=stopped)
        assert logging.getLogger("httpx").level == logging.WARNING
        stop = asyncio.Event()
        task = asyncio.create_task(run_application(app, settings, stop, poll_timeout=1))
        await tg.wait_for(lambda: calls == ["startup"])
        tasks = list(app.bot_data.tasks)
        assert [t.get_name() for t in tasks] == ["outbox-sender"]
        tg.push_message(3001, "/start")
        await tg.wait_for(lambda: tg.sent_to(3001))
        stop.set()
        await asyncio.wait_for(task, 15)
    assert calls == ["startup", "shutdown"]
    assert all(t.done() for t in tasks)
    assert tg.token not in caplog.text
    assert tg.token.split(":")[1] not in caplog.text


async def post_when_listening(client: httpx.AsyncClient, url: str, body: object) -> httpx.Response:
    """PTB calls setWebhook before its server listens: retry the first connection for a moment."""
    for _ in range(100):
        try:
            return await client.post(url, json=body)
        except httpx.ConnectError:
            await asyncio.sleep(0.05)
    raise AssertionError("the webhook server never listened")


async def test_webhook_mode_end_to_end(services: BotServices) -> None:
    port = free_port()
    async with FakeTelegram() as tg:
        settings = make_settings(
            tg.base_url,
            token=tg.token,
            telegram_mode="webhook",
            webhook_url=f"http://127.0.0.1:{port}/tg/hook",
            webhook_listen="127.0.0.1",
            webhook_port=port,
            webhook_secret="s3cret-value",
        )
        app = build_application(settings, services)
        stop = asyncio.Event()
        task = asyncio.create_task(run_application(app, settings, stop))
        await tg.wait_for(lambda: tg.calls("setWebhook"))
        hook = tg.calls("setWebhook")[0].params
        assert hook["url"] == f"http://127.0.0.1:{port}/tg/hook"
        assert hook["secret_token"] == "s3cret-value"
        update = {"update_id": 1, "message": message_dict(3002, "/price KAU", None, "private", "en", "")}
        async with httpx.AsyncClient() as client:
            bad = await post_when_listening(client, f"http://127.0.0.1:{port}/tg/hook", update)
            assert bad.status_code == 403  # no secret header: refused
            ok = await client.post(
                f"http://127.0.0.1:{port}/tg/hook",
                content=json.dumps(update),
                headers={
                    "X-Telegram-Bot-Api-Secret-Token": "s3cret-value",
                    "Content-Type": "application/json",
                },
            )
            assert ok.status_code == 200
        await tg.wait_for(lambda: tg.sent_to(3002))
        assert "KAU25" in tg.sent_to(3002)[0].text
        stop.set()
        await asyncio.wait_for(task, 15)
