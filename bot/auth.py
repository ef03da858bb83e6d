"""Who may do what, decided from the update itself (not from which field PTB happened to fill).

The policy, applied by `handlers.gate` (handler group -1) to every update kind:

- Edited messages and edited channel posts are ignored altogether: an edit never runs a command, not
  even a read-only one (a non-admin could otherwise edit an old message into `/broadcast`). The
  handlers accept only new messages too (`filters.UpdateType.MESSAGE`), so this holds twice.
- Channel posts are ignored (a channel has no sender to authorise).
- A command is read from a message's text or its caption; captions never run commands, and an
  admin command in a caption is refused like any other from a non-admin.
- `/cmd@otherbot` in a group is for another bot: ignored without a reply.
- The per-chat command limit counts commands, `$SYMBOL` lookups and button presses alike.
- Admin commands check the sender's user id against `settings.admin_ids` in the gate, and again in
  `bot.admin` from the `Request` (`Request.is_admin`, set from the sender here), so a handler wired
  without the gate still refuses.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from telegram import Message, Update

from bot.dispatch import COMMANDS, split_command

_SURROGATES = re.compile(r"[\ud800-\udfff]")
_KEEP_CONTROL = frozenset("\n\t")


def clean_text(text: str) -> str:
    """Lone surrogates become U+FFFD and control characters (but newline and tab) are dropped:
    the text can then be encoded as UTF-8, stored and echoed back."""
    text = _SURROGATES.sub("\ufffd", text)
    return "".join(c for c in text if c in _KEEP_CONTROL or unicodedata.category(c) != "Cc")


def is_edit(update: Update) -> bool:
    return update.edited_message is not None or update.edited_channel_post is not None


def is_channel_post(update: Update) -> bool:
    return update.channel_post is not None or update.edited_channel_post is not None


def message_text(msg: Message | None) -> str:
    """A message's text, else its caption, cleaned; '' for neither."""
    if msg is None:
        return ""
    return clean_text(msg.text or msg.caption or "")


def command_target(text: str) -> str | None:
    """'/status@SomeBot x' -> 'somebot'; None without an @target."""
    head = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    if not head.startswith("/") or "@" not in head:
        return None
    return head.split("@", 1)[1].lower()


def sender_is_admin(update: Update, admin_ids: list[int] | tuple[int, ...] | frozenset[int]) -> bool:
    """The sender of this update (message author, button presser) is one of the bot's admins.

    An anonymous group admin or a channel posting in a group is sent as a placeholder user or a
    sender_chat: never an admin of the bot."""
    msg = update.effective_message
    if msg is not None and msg.sender_chat is not None:
        return False
    user = update.effective_user
    return user is not None and not user.is_bot and user.id in admin_ids


@dataclass(frozen=True, slots=True)
class Incoming:
    """What the gate needs to know about one message: its command (if any) and whether it asks for
    a `$SYMBOL` lookup."""

    name: str | None  # the command's name, lower-case; None when the text is not a command
    target: str | None  # the @bot the command is addressed to
    known: bool  # a command in `COMMANDS`
    admin: bool  # an admin-only command
    dollar: bool  # a `$SYMBOL` lookup (private chats only)
    from_caption: bool


def read_incoming(msg: Message | None, *, private: bool) -> Incoming | None:
    """The command or lookup in `msg`; None when it is neither (plain chatter, media without caption)."""
    if msg is None:
        return None
    text = message_text(msg)
    if not text:
        return None
    parsed = split_command(text)
    dollar = parsed is None and private and "$" in text
    if parsed is None and not dollar:
        return None
    spec = COMMANDS.get(parsed[0]) if parsed is not None else None
    return Incoming(
        name=parsed[0] if parsed else None,
        target=command_target(text) if parsed else None,
        known=spec is not None,
        admin=spec is not None and spec.admin,
        dollar=dollar,
        from_caption=not msg.text,
    )
