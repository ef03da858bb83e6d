"""`bot.fastrequest.AiohttpRequest`: real python-telegram-bot `ExtBot` calls over aiohttp to the fake Bot
API server (and to a socket that never answers): what arrives, how Telegram's errors come back, and
that the token (in every request URL) is in no error and no log line."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import traceback
from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot

from bot.app import protect_token
from bot.fastrequest import AiohttpRequest
from bot.ratelimit import retry_seconds
from tests.fakes.fake_telegram import FakeTelegram

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(per_chat_interval_s=0) as server:
        yield server


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[ExtBot[int]]:
    protect_token(tg.token)
    b: ExtBot[int] = ExtBot(tg.token, base_url=tg.base_url, request=AiohttpRequest(4))
    await b.initialize()
    yield b
    await b.shutdown()


def no_token(token: str, *texts: str) -> None:
    secret = token.split(":")[1]
    for text in texts:
        assert secret not in text, text


def full_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


async def test_messages_and_photos_arrive_as_sent(tg: FakeTelegram, bot: ExtBot[int]) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Chart", callback_data="c|KAU25")]])
    msg = await bot.send_message(
        42, "<b>KAU25</b> RSI 28 — 과매도", parse_mode="HTML", allow_paid_broadcast=True, reply_markup=markup
    )
    photo = await bot.send_photo(43, PHOTO, caption="chart", filename="kau25.png")
    first, second = tg.sent
    assert (first.method, first.chat_id, first.text) == ("sendMessage", 42, "<b>KAU25</b> RSI 28 — 과매도")
    assert first.params["parse_mode"] == "HTML"
    assert first.params["allow_paid_broadcast"] == "true"
    assert first.reply_markup == json.loads(json.dumps(markup.to_dict()))
    assert msg.message_id == first.message_id
    assert msg.chat.id == 42
    assert (second.method, second.chat_id, second.text) == ("sendPhoto", 43, "chart")
    assert second.params["photo"] == PHOTO  # multipart upload, byte for byte
    assert photo.message_id == second.message_id
    assert [r.method for r in tg.requests] == ["getMe", "sendMessage", "sendPhoto"]


async def test_telegrams_errors_become_ptbs_and_the_connection_pool_recovers(
    tg: FakeTelegram, bot: ExtBot[int]
) -> None:
    tg.inject("429", retry_after=7)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(1, "a")
    assert retry_seconds(flood.value) == 7
    tg.inject("500")
    with pytest.raises(NetworkError) as server_error:
        await bot.send_message(1, "b")
    assert not isinstance(server_error.value, TimedOut)
    assert "Internal Server Error" in server_error.value.message
    tg.inject("403")
    with pytest.raises(Forbidden):
        await bot.send_message(1, "c")
    tg.inject("migrate", new_chat_id=-1002)
    with pytest.raises(ChatMigrated) as moved:
        await bot.send_message(1, "d")
    assert moved.value.new_chat_id == -1002
    sent = await asyncio.gather(*(bot.send_message(100 + i, f"ok {i}") for i in range(12)))
    assert sorted(m.chat.id for m in sent) == list(range(100, 112))  # 4 connections, 12 sends, all fine


async def test_network_failures_name_no_token(
    tg: FakeTelegram, bot: ExtBot[int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tg.inject("drop")
    with pytest.raises(NetworkError) as dropped:
        await bot.send_message(5, "x")
    assert "aiohttp." in dropped.value.message
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    refused_bot: ExtBot[int] = ExtBot(
        tg.token, base_url=f"http://127.0.0.1:{closed}/bot", request=AiohttpRequest(2)
    )
    await refused_bot.request.initialize()
    with pytest.raises(NetworkError) as refused:
        await refused_bot.send_message(5, "x")
    await refused_bot.request.shutdown()
    texts = [dropped.value.message, full_text(dropped.value), refused.value.message, full_text(refused.value)]
    no_token(tg.token, *texts, caplog.text)
    assert (await bot.send_message(5, "after")).chat.id == 5  # a dropped connection is not reused


async def test_a_server_that_never_answers_is_a_timeout(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = "654321:SILENT-token"
    protect_token(token)  # as bot.app does: PTB itself logs its API URL at DEBUG
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # read the request, never answer

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(2, read_timeout=0.3)
    bot: ExtBot[int] = ExtBot(token, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    await request.initialize()
    try:
        with pytest.raises(TimedOut) as slow:
            await bot.send_message(5, "x")
        await request.shutdown()
        request = AiohttpRequest(2, read_timeout=5.0)
        bot = ExtBot(token, base_url=f"http://127.0.0.1:{port}/bot", request=request)
        await request.initialize()
        t0 = time.monotonic()
        with pytest.raises(TimedOut):  # a timeout given with the call wins over the request's 5 s
            await bot.send_message(5, "y", read_timeout=0.2)
        assert time.monotonic() - t0 < 2.5
    finally:
        await request.shutdown()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
    no_token(token, slow.value.message, full_text(slow.value), caplog.text)


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:99999/bot", "http://[::1/bot", "htp://127.0.0.1/bot"])
async def test_a_bad_base_url_is_a_network_error_without_the_token(base_url: str) -> None:
    token = "777:BADURL-token"
    bot: ExtBot[int] = ExtBot(token, base_url=base_url, request=AiohttpRequest(2))
    await bot.request.initialize()
    try:
        with pytest.raises(NetworkError) as bad:
            await bot.send_message(1, "x")
    finally:
        await bot.request.shutdown()
    assert bad.value.message.startswith("aiohttp.")
    no_token(token, bad.value.message, full_text(bad.value))


async def test_not_initialised_is_said_plainly() -> None:
    bot: ExtBot[int] = ExtBot("1:x", base_url="http://127.0.0.1:9/bot", request=AiohttpRequest())
    with pytest.raises(NetworkError, match="not initialized"):
        await bot.send_message(1, "x")
