"""Bot API JSON payloads for the fake server: users, chats, messages, chat members, errors."""

from __future__ import annotations

import time
from typing import Any

BOT_ID = 7000001
BOT_USERNAME = "finsignal_test_bot"


ADMIN_RIGHTS = dict.fromkeys(
    (
        "can_be_edited",
        "is_anonymous",
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
    ),
    True,
) | {"can_be_edited": False, "is_anonymous": False}


def member_dict(status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": bot_user()}
    if status == "kicked":
        member["until_date"] = 0
    if status == "administrator":
        member.update(ADMIN_RIGHTS)
    return member


def error(code: int, description: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def bot_user() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": "finsignal", "username": BOT_USERNAME}


def user_dict(user_id: int, language_code: str = "en") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": language_code}


def chat_dict(chat_id: int, chat_type: str, title: str) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    return {"id": chat_id, "type": chat_type, "title": title}


def message_dict(
    chat_id: int, text: str, user_id: int | None, chat_type: str, language_code: str, title: str
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "message_id": abs(hash((chat_id, text, time.monotonic()))) % 1_000_000,
        "date": int(time.time()),
        "chat": chat_dict(chat_id, chat_type, title),
        "from": user_dict(user_id if user_id is not None else abs(chat_id), language_code),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split(maxsplit=1)[0]) if text.strip() else 1
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return msg


def callback_query_dict(
    chat_id: int, data: str, cq_id: str, *, user_id: int | None = None, message_id: int = 1
) -> dict[str, Any]:
    """A button press by `user_id` (default: the chat's own id) on the bot's message `message_id`."""
    message = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat_dict(chat_id, "private" if chat_id > 0 else "supergroup", "Group"),
        "from": bot_user(),
        "text": "message with buttons",
    }
    user = user_dict(user_id if user_id is not None else abs(chat_id))
    return {"id": cq_id, "from": user, "chat_instance": "ci", "data": data, "message": message}
