"""Telegram handlers: parse the update, run the command logic, send the reply. No business logic here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from telegram import (
    CallbackQuery,
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext, ExtBot

from bot import commands, views
from bot.commands import Command, Env, Request
from bot.dispatch import COMMANDS, split_command
from bot.i18n import language_for, t
from bot.ratelimit import CommandLimiter
from bot.services import BotServices
from bot.views import MAX_CAPTION, Reply
from core.settings import Settings
from core.timeutil import Clock, SystemClock
from core.types import Chat, ChatKind, Language, SignalType

logger = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass
class BotData:
    """Typed `bot_data`: what every handler needs. Filled by `build_application`."""

    env: Env | None = None
    limiter: CommandLimiter | None = None
    tasks: list[Any] = field(default_factory=list)


class BotContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    """Custom context exposing the services and settings with types."""

    @property
    def env(self) -> Env:
        env = self.bot_data.env
        if env is None:
            raise RuntimeError("bot_data.env is not set: build the application with build_application()")
        return env

    @property
    def services(self) -> BotServices:
        return self.env.services

    @property
    def settings(self) -> Settings:
        return self.env.settings


BotApp = Application[ExtBot[int], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]

_KINDS: dict[str, ChatKind] = {
    ChatType.PRIVATE: ChatKind.PRIVATE,
    ChatType.GROUP: ChatKind.GROUP,
    ChatType.SUPERGROUP: ChatKind.SUPERGROUP,
    ChatType.CHANNEL: ChatKind.CHANNEL,
}


def make_env(services: BotServices, settings: Settings, clock: Clock | None = None) -> Env:
    return Env(services, settings, clock or SystemClock())


async def ensure_chat(update: Update, context: BotContext) -> Chat:
    """The stored chat of this update, created on first contact (language from the client)."""
    tg = update.effective_chat
    assert tg is not None
    repos = context.services.repos
    chat = await repos.chats.get_chat(tg.id)
    title = tg.title or tg.full_name or tg.username or ""
    if chat is None:
        user = update.effective_user
        lang = language_for(user.language_code if user else None, context.settings.default_language)
        chat = await repos.chats.upsert_chat(
            Chat(chat_id=tg.id, kind=_KINDS.get(tg.type, ChatKind.PRIVATE), title=title[:200], language=lang)
        )
    elif not chat.active:
        chat = await repos.chats.upsert_chat(replace(chat, active=True))
    return chat


async def can_manage(update: Update, context: BotContext) -> bool:
    """Private chats: yes. Groups: only the group's administrators (and anonymous admins)."""
    chat, user, msg = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    if msg is not None and msg.sender_chat is not None and msg.sender_chat.id == chat.id:
        return True  # an anonymous group administrator
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError:
        logger.warning("getChatMember failed for chat %s", chat.id, exc_info=True)
        return False
    return member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


def _lang(stored: Chat | None, update: Update, context: BotContext) -> Language:
    """The stored chat's language, else the client's, else the default."""
    if stored is not None:
        return stored.language
    user = update.effective_user
    return language_for(user.language_code if user else None, context.settings.default_language)


def is_admin(update: Update, context: BotContext) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.settings.admin_ids


def markup(buttons: views.Buttons) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label[:64], callback_data=data) for label, data in row] for row in buttons]
    )


async def send_reply(update: Update, reply: Reply) -> None:
    msg = update.effective_message
    if msg is None:
        return
    if reply.photo is not None:
        caption = views.fit(reply.text.split("\n"), MAX_CAPTION)
        await msg.reply_photo(reply.photo, caption=caption, parse_mode=ParseMode.HTML)
        return
    await msg.reply_text(
        reply.text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup(reply.buttons),
        link_preview_options=NO_PREVIEW,
    )


async def gate(update: Update, context: BotContext) -> None:
    """Group -1: ignore channels, rate-limit commands per chat, refuse admin commands to others."""
    if update.channel_post or update.edited_channel_post:
        raise ApplicationHandlerStop
    chat, msg = update.effective_chat, update.message
    if chat is None or (chat.type == ChatType.CHANNEL and update.my_chat_member is None):
        raise ApplicationHandlerStop
    if msg is None or not msg.text:
        return
    parsed = split_command(msg.text)
    if parsed is None and not (chat.type == ChatType.PRIVATE and "$" in msg.text):
        return
    limiter = context.bot_data.limiter
    if limiter is not None and not limiter.allow(chat.id):
        logger.info("chat %s is over the command rate limit", chat.id)
        if limiter.warn_once(chat.id):
            stored = await context.services.repos.chats.get_chat(chat.id)
            await send_reply(update, Reply(t(_lang(stored, update, context), "rate_limited")))
        raise ApplicationHandlerStop
    spec = COMMANDS.get(parsed[0]) if parsed is not None else None
    if spec is not None and spec.admin and not is_admin(update, context):
        stored = await context.services.repos.chats.get_chat(chat.id)
        await send_reply(update, Reply(t(_lang(stored, update, context), "not_admin")))
        raise ApplicationHandlerStop


async def run_command(update: Update, context: BotContext, name: str) -> None:
    """Build the Request for command `name`, run it, send the reply."""
    msg = update.effective_message
    if msg is None or update.effective_chat is None:
        return
    spec = COMMANDS[name]
    chat = await ensure_chat(update, context)
    parsed = split_command(msg.text or "")
    args, rest = (parsed[1], parsed[2]) if parsed else ((), "")
    user = update.effective_user
    req = Request(
        chat=chat,
        args=args,
        text=rest,
        user_id=user.id if user else None,
        is_admin=is_admin(update, context),
        can_manage=await can_manage(update, context) if spec.manage and args else True,
        message_id=msg.message_id,
    )
    await send_reply(update, await spec.fn(context.env, req))


async def cmd_start(update: Update, context: BotContext) -> None:
    """/start: what the bot does."""
    await run_command(update, context, "start")


async def cmd_help(update: Update, context: BotContext) -> None:
    """/help: the command list."""
    await run_command(update, context, "help")


async def cmd_lang(update: Update, context: BotContext) -> None:
    """/lang ko|en."""
    await run_command(update, context, "lang")


async def cmd_price(update: Update, context: BotContext) -> None:
    """/price SYMBOL."""
    await run_command(update, context, "price")


async def cmd_watch(update: Update, context: BotContext) -> None:
    """/watch SYMBOL [signals]."""
    await run_command(update, context, "watch")


async def cmd_unwatch(update: Update, context: BotContext) -> None:
    """/unwatch SYMBOL."""
    await run_command(update, context, "unwatch")


async def cmd_watchlist(update: Update, context: BotContext) -> None:
    """/watchlist with buttons."""
    await run_command(update, context, "watchlist")


async def cmd_list(update: Update, context: BotContext) -> None:
    """/list: the same as /watchlist."""
    await run_command(update, context, "list")


async def cmd_signals(update: Update, context: BotContext) -> None:
    """/signals SYMBOL."""
    await run_command(update, context, "signals")


async def cmd_chart(update: Update, context: BotContext) -> None:
    """/chart SYMBOL [3m|6m|1y|5y]."""
    await run_command(update, context, "chart")


async def cmd_news(update: Update, context: BotContext) -> None:
    """/news [SYMBOL|industry]."""
    await run_command(update, context, "news")


async def cmd_settings(update: Update, context: BotContext) -> None:
    """/settings [signals|quiet|silent ...]."""
    await run_command(update, context, "settings")


async def cmd_backtest(update: Update, context: BotContext) -> None:
    """/backtest SYMBOL (admin)."""
    await run_command(update, context, "backtest")


async def cmd_status(update: Update, context: BotContext) -> None:
    """/status (admin)."""
    await run_command(update, context, "status")


async def cmd_broadcast(update: Update, context: BotContext) -> None:
    """/broadcast TEXT (admin)."""
    await run_command(update, context, "broadcast")


async def cmd_premium(update: Update, context: BotContext) -> None:
    """/premium add|remove CHAT_ID (admin)."""
    await run_command(update, context, "premium")


HANDLERS: dict[str, Any] = {name: globals()[f"cmd_{name}"] for name in COMMANDS}


async def on_dollar(update: Update, context: BotContext) -> None:
    """`$SYMBOL` in a private message."""
    msg = update.effective_message
    if msg is None or not msg.text:
        return
    chat = await ensure_chat(update, context)
    await send_reply(update, await commands.cmd_dollar(context.env, Request(chat, text=msg.text)))


async def on_unknown(update: Update, context: BotContext) -> None:
    """Commands we do not know: answered in private chats, ignored in groups (maybe for another bot)."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    stored = await ensure_chat(update, context)
    await send_reply(update, Reply(t(stored.language, "unknown_command")))


async def on_callback(update: Update, context: BotContext) -> None:
    """Inline buttons: 'u|SYM' unwatch (alert), 'wu|SYM' unwatch from the watchlist, 'm|SYM|signal' mute,
    'ns|on|off' news alerts from /settings (edits it), 'na|off' news alerts off from a news alert."""
    query: CallbackQuery | None = update.callback_query
    if query is None or update.effective_chat is None:
        return
    chat = await ensure_chat(update, context)
    parts = (query.data or "").split("|")
    if not await can_manage(update, context):
        await query.answer(views.to_plain(t(chat.language, "not_group_admin")), show_alert=True)
        return
    req = Request(chat, user_id=query.from_user.id)
    reply: Reply | None = None
    if len(parts) == 2 and parts[0] in ("u", "wu"):
        reply = await commands.unwatch(context.env, req, parts[1])
    elif len(parts) == 2 and parts[0] == "wm":
        reply = await commands.toggle_mute_all(context.env, req, parts[1])
    elif len(parts) == 3 and parts[0] == "m" and parts[2] in SignalType._value2member_map_:
        reply = await commands.mute(context.env, req, parts[1], SignalType(parts[2]))
    elif len(parts) == 2 and parts[0] in ("ns", "na") and parts[1] in ("on", "off"):
        reply = await commands.set_news_alerts(context.env, req, parts[1] == "on")
    if reply is None:
        await query.answer()
        return
    await query.answer(views.to_plain(reply.text)[:190])
    if parts[0] in ("wu", "wm"):
        listing = await commands.cmd_watchlist(context.env, req)
        await query.edit_message_text(
            listing.text, parse_mode=ParseMode.HTML, reply_markup=markup(listing.buttons)
        )
    elif parts[0] == "ns":  # the /settings message: show the new state
        stored = await context.services.repos.chats.get_chat(chat.chat_id) or chat
        shown = views.render_settings(stored.language, stored)
        await query.edit_message_text(
            shown.text, parse_mode=ParseMode.HTML, reply_markup=markup(shown.buttons)
        )


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Blocked, unblocked, added to or removed from a group: keep the chat table right."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    repos = context.services.repos
    if status in (ChatMember.BANNED, ChatMember.LEFT):
        logger.info("chat %s: bot %s, marking inactive", change.chat.id, status)
        await repos.chats.set_active(change.chat.id, False)
        await repos.outbox.skip_chat(change.chat.id, f"bot {status}")
        return
    chat = await ensure_chat(update, context)
    if not chat.active:
        await repos.chats.set_active(chat.chat_id, True)


async def on_error(update: object, context: BotContext) -> None:
    """Log every handler error with its traceback; tell the user something went wrong, nothing more."""
    logger.error("handler failed for update %s", getattr(update, "update_id", None), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_message is None or context.bot_data.env is None:
        return
    if update.effective_chat is None or update.effective_chat.type == ChatType.CHANNEL:
        return
    try:
        stored = await context.services.repos.chats.get_chat(update.effective_chat.id)
        lang = _lang(stored, update, context)
        await update.effective_message.reply_text(t(lang, "error"))
    except Exception:
        logger.warning("could not tell chat %s about the error", update.effective_chat.id, exc_info=True)


__all__ = ["HANDLERS", "BotApp", "BotContext", "BotData", "Command"]
