"""Authorisation cannot be bypassed by the update kind: each admin command, sent by a non-admin as a
new message, an edited message, a channel post, an edited channel post and a photo caption, in a
private chat and a group, is refused; edits never run commands, even for the admin. The real PTB app
answers over HTTP to the fake Bot API server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.app import build_application, run_application
from core.ports import Repositories
from core.types import Chat, ChatKind, Language, Tier
from storage import Database
from tests.bot.conftest import Harness
from tests.bot.fakes import ADMIN_ID, make_services, make_settings
from tests.fakes.fake_telegram import FakeTelegram, message_dict

ATTACKER = 4040
VICTIM = 4141
KINDS = ("message", "edited_message", "channel_post", "edited_channel_post", "caption")
ADMIN_COMMANDS = (
    "/status",
    "/broadcast pwned",
    "/backtest FCO2.DE",
    f"/premium add {ATTACKER}",
    f"/premium remove {ADMIN_ID}",
)


def update_of(kind: str, chat_id: int, text: str, user_id: int) -> dict[str, Any]:
    chat_type = "private" if chat_id > 0 else "supergroup"
    if kind in ("channel_post", "edited_channel_post"):
        chat_type = "channel"
    msg = message_dict(chat_id, text, user_id, chat_type, "en", "Room")
    if kind == "caption":
        msg.pop("text")
        msg["caption"] = text
        msg["caption_entities"] = msg.pop("entities", [])
        msg["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
        return {"message": msg}
    if kind.startswith("edited"):
        msg["edit_date"] = msg["date"] + 5
    if "channel" in kind:
        msg.pop("from")
        msg["sender_chat"] = msg["chat"]
    return {kind: msg}


async def seed(repos: Repositories) -> None:
    for chat_id, tier in ((ADMIN_ID, Tier.PREMIUM), (ATTACKER, Tier.FREE), (VICTIM, Tier.FREE)):
        await repos.chats.upsert_chat(Chat(chat_id, ChatKind.PRIVATE, "", tier=tier, language=Language.EN))


async def effects(repos: Repositories) -> tuple[int, Tier | None, Tier | None]:
    admin, attacker = await repos.chats.get_chat(ADMIN_ID), await repos.chats.get_chat(ATTACKER)
    return (
        await repos.outbox.count_pending(),
        admin.tier if admin else None,
        attacker.tier if attacker else None,
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("chat_id", [ATTACKER, -100777], ids=["private", "group"])
async def test_admin_commands_refused_to_a_non_admin_whatever_the_update_kind(
    harness: Harness, kind: str, chat_id: int
) -> None:
    repos = harness.app.bot_data.env.services.repos  # type: ignore[union-attr]
    await seed(repos)
    harness.tg.group_admins[-100777] = {ATTACKER}  # a group admin is not a bot admin
    for text in ADMIN_COMMANDS:
        before = len(harness.tg.sent)
        await harness.feed(update_of(kind, chat_id, text, ATTACKER))
        replies = harness.tg.sent[before:]
        assert all("administrators only" in r.text for r in replies), (kind, text, replies)
        if kind == "message":
            assert len(replies) == 1  # a new message is told; edits, posts and captions are ignored
        else:
            assert replies == []
    assert await effects(repos) == (0, Tier.PREMIUM, Tier.FREE)


async def test_the_admins_own_edits_run_nothing(harness: Harness) -> None:
    """Edits are ignored for every command (the documented choice): even an admin's."""
    repos = harness.app.bot_data.env.services.repos  # type: ignore[union-attr]
    await seed(repos)
    for text in (*ADMIN_COMMANDS, "/price FCO2.DE", "/watch FCO2.DE", "$FCO2.DE"):
        before = len(harness.tg.sent)
        await harness.feed(update_of("edited_message", ADMIN_ID, text, ADMIN_ID))
        assert harness.tg.sent[before:] == []
    assert await effects(repos) == (0, Tier.PREMIUM, Tier.FREE)
    assert await repos.watches.list_watches(ADMIN_ID) == []
    # the same admin's new messages work
    [queued] = await harness.say(ADMIN_ID, "/broadcast hello")
    assert "Broadcast queued" in queued.text


async def test_anonymous_admin_of_a_group_is_not_a_bot_admin(harness: Harness) -> None:
    msg = message_dict(-100778, "/broadcast pwned", ADMIN_ID, "supergroup", "en", "Room")
    msg["sender_chat"] = msg["chat"]  # posted as the group; `from` is whoever Telegram puts there
    before = len(harness.tg.sent)
    await harness.feed({"message": msg})
    assert ["administrators only" in r.text for r in harness.tg.sent[before:]] == [True]
    assert await harness.app.bot_data.env.services.repos.outbox.count_pending() == 0  # type: ignore[union-attr]


async def test_edits_count_for_nothing_and_buttons_count_against_the_chat_limit(harness: Harness) -> None:
    for i in range(25):  # edits are dropped before any work
        await harness.feed(update_of("edited_message", 610, f"/help {i}", 610))
    assert await harness.say(610, "/help")
    for _ in range(19):
        await harness.press(610, "zz|nothing")
    answers = harness.tg.calls("answerCallbackQuery")
    assert len(answers) == 19
    [warning] = await harness.say(610, "/help")  # the 21st in a minute
    assert "Too many commands" in warning.text


async def test_edited_broadcast_over_long_polling_is_ignored(sqlite_repos: Repositories) -> None:
    """The same through getUpdates: the fake server delivers an edited `/broadcast` from a non-admin."""
    async with FakeTelegram(per_chat_interval_s=0) as tg:
        settings = make_settings(tg.base_url, token=tg.token)
        app = build_application(settings, make_services(sqlite_repos), run_sender=False)
        stop = asyncio.Event()
        task = asyncio.create_task(run_application(app, settings, stop, poll_timeout=1))
        await seed(sqlite_repos)
        tg.push_update(update_of("edited_message", ATTACKER, "/broadcast pwned", ATTACKER))
        tg.push_message(ATTACKER, "/help")  # processed after the edit: its answer marks the edit done
        await tg.wait_for(lambda: tg.sent_to(ATTACKER))
        stop.set()
        await asyncio.wait_for(task, 15)
    assert [s.text.startswith("<b>Commands</b>") for s in tg.sent] == [True]
    assert await effects(sqlite_repos) == (0, Tier.PREMIUM, Tier.FREE)


@pytest.mark.parametrize("name", ["backtest", "status", "broadcast", "premium"])
async def test_admin_functions_check_the_request_themselves(harness: Harness, name: str) -> None:
    """Defence in depth: the command table's admin functions refuse a non-admin request on their own."""
    from bot.commands import Request
    from bot.dispatch import COMMANDS

    env = harness.app.bot_data.env
    assert env is not None
    await seed(env.services.repos)
    req = Request(
        Chat(ATTACKER, ChatKind.PRIVATE), args=("add", str(ATTACKER)), text="pwned", user_id=ATTACKER
    )
    reply = await COMMANDS[name].fn(env, req)
    assert "administrators only" in reply.text
    assert await effects(env.services.repos) == (0, Tier.PREMIUM, Tier.FREE)


async def test_commands_for_other_bots_are_ignored_in_groups(harness: Harness) -> None:
    for text in ("/status@other_bot", "/broadcast@OtherBot hi", "/help@other_bot", "/nosuch@other_bot"):
        assert await harness.say(-100779, text, user_id=ATTACKER) == []
    assert await harness.say(-100779, "/help@FinSignal_Test_Bot", user_id=ATTACKER)


@pytest.mark.parametrize(
    "data", ["u|NOPE|extra", "zz", "", "m|FCO2.DE|no_such_signal", "ns|maybe", "\ud800|x"]
)
async def test_every_callback_query_is_answered(harness: Harness, data: str) -> None:
    before = len(harness.tg.calls("answerCallbackQuery"))
    await harness.press(611, data)
    [answer] = harness.tg.calls("answerCallbackQuery")[before:]
    assert answer.params["text"] == "This button is no longer active."


async def test_inline_message_buttons_are_answered(harness: Harness) -> None:
    from tests.fakes.telegram_payloads import user_dict

    cq = {
        "id": "inl1",
        "from": user_dict(612),
        "chat_instance": "ci",
        "data": "u|FCO2.DE",
        "inline_message_id": "AAA",
    }
    await harness.feed({"callback_query": cq})
    [answer] = harness.tg.calls("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "inl1"
    assert answer.params["text"] == "This button is no longer active."


async def test_lone_surrogates_and_control_characters_are_cleaned(harness: Harness) -> None:
    [reply] = await harness.say(613, "/price FC\ud800O2\x07")
    assert "Unknown symbol" in reply.text
    assert "\ufffd" in reply.text
    [ok] = await harness.say(613, "$KAU25\x00 and $FCO2.DE \udfff")
    assert "KAU25" in ok.text


async def test_a_database_that_refuses_writes_gets_a_try_again_shortly(
    harness: Harness, sqlite_db: Database
) -> None:
    from tests.fakes.storage_faults import StorageFaults

    faults = StorageFaults(sqlite_db)
    faults.set("read_only")
    [reply] = await harness.say(620, "/start")  # a new chat: storing it fails
    assert reply.text == "The service is busy storing data. Please try again shortly."
    faults.clear()
    [ok] = await harness.say(620, "/start")
    assert "finsignal" in ok.text


async def test_status_names_a_storage_fault(harness: Harness, sqlite_db: Database) -> None:
    from tests.fakes.storage_faults import StorageFaults

    await harness.say(ADMIN_ID, "/start")
    with StorageFaults(sqlite_db) as faults:
        faults.set("disk_full")
        [status] = await harness.say(ADMIN_ID, "/status")
    assert "storage: disk_full" in status.text
    [ok] = await harness.say(ADMIN_ID, "/status")
    assert "storage: ok" in ok.text
