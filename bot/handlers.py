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

from bot import asking, auth, commands, user_alerts, views
from bot.commands import Command, Env, Request
from bot.dispatch import COMMANDS, split_command
from bot.i18n import language_for, t
from bot.ratelimit import CommandLimiter
from bot.services import BotServices
from bot.views import MAX_CAPTION, Reply
from core.settings import Settings
from core.storage_faults import StorageFault, classify
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
    sender: Any = None  # the outbox Sender while it runs (its storage fault shows in /status)


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
    title = auth.clean_text(tg.title or tg.full_name or tg.username or "")
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
    return auth.sender_is_admin(update, context.settings.admin_ids)


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
    """Group -1, every update kind: the policy of `bot.auth` (edits and channel posts ignored, one
    per-chat limit for commands, lookups and buttons, admin commands only from admins)."""
    if auth.is_edit(update) or auth.is_channel_post(update):
        raise ApplicationHandlerStop
    if update.callback_query is not None:
        await _gate_callback(update, context, update.callback_query)
        return
    chat = update.effective_chat
    if chat is None or (chat.type == ChatType.CHANNEL and update.my_chat_member is None):
        raise ApplicationHandlerStop
    incoming = auth.read_incoming(update.message, private=chat.type == ChatType.PRIVATE)
    if incoming is None:
        return
    if incoming.target is not None and incoming.target != (context.bot.username or "").lower():
        raise ApplicationHandlerStop  # `/cmd@otherbot`: for another bot
    if incoming.from_caption:
        raise ApplicationHandlerStop  # captions never run commands
    if not await _within_limit(update, context, chat.id):
        raise ApplicationHandlerStop
    if incoming.admin and not auth.sender_is_admin(update, context.settings.admin_ids):
        logger.warning(
            "admin command /%s refused to user %s in chat %s", incoming.name, _user_id(update), chat.id
        )
        await send_reply(update, Reply(t(_lang(None, update, context), "not_admin")))
        raise ApplicationHandlerStop


def _user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


async def _within_limit(update: Update, context: BotContext, chat_id: int) -> bool:
    """The per-chat command limit; the first refusal in a row is told (a reply or a button notice)."""
    limiter = context.bot_data.limiter
    if limiter is None or limiter.allow(chat_id):
        return True
    logger.info("chat %s is over the command rate limit", chat_id)
    if limiter.warn_once(chat_id):
        text = t(_lang(None, update, context), "rate_limited")
        if update.callback_query is not None:
            await update.callback_query.answer(views.to_plain(text)[:190])
        else:
            await send_reply(update, Reply(text))
    elif update.callback_query is not None:
        await update.callback_query.answer()
    return False


async def _gate_callback(update: Update, context: BotContext, query: CallbackQuery) -> None:
    """Buttons: always answered. Inline-mode buttons (no chat) are not ours: a short notice."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.CHANNEL:
        await query.answer(views.to_plain(t(_lang(None, update, context), "stale_button"))[:190])
        raise ApplicationHandlerStop
    if not await _within_limit(update, context, chat.id):
        raise ApplicationHandlerStop


async def run_command(update: Update, context: BotContext, name: str) -> None:
    """Build the Request for command `name`, run it, send the reply."""
    msg = update.effective_message
    if msg is None or update.effective_chat is None:
        return
    spec = COMMANDS[name]
    chat = await ensure_chat(update, context)
    parsed = split_command(auth.message_text(msg))
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
    """/chart SYMBOL [3m|6m|1y|5y] or /chart SYMBOL 1d|5d 1m|5m|15m."""
    await run_command(update, context, "chart")


async def cmd_etf(update: Update, context: BotContext) -> None:
    """/etf CODE."""
    await run_command(update, context, "etf")


async def cmd_investors(update: Update, context: BotContext) -> None:
    """/investors SYMBOL."""
    await run_command(update, context, "investors")


async def cmd_news(update: Update, context: BotContext) -> None:
    """/news [SYMBOL|industry]."""
    await run_command(update, context, "news")


async def cmd_settings(update: Update, context: BotContext) -> None:
    """/settings [signals|quiet|silent ...]."""
    await run_command(update, context, "settings")


async def cmd_alert(update: Update, context: BotContext) -> None:
    """/alert SYMBOL above|below PRICE, move N%, rsi above|below N (issue 24)."""
    await run_command(update, context, "alert")


async def cmd_alerts(update: Update, context: BotContext) -> None:
    """/alerts: the chat's own alerts with delete buttons (issue 24)."""
    await run_command(update, context, "alerts")


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


async def cmd_ask(update: Update, context: BotContext) -> None:
    """/ask QUESTION (issue 23)."""
    await run_command(update, context, "ask")


async def on_question(update: Update, context: BotContext) -> None:
    """Plain text in a private chat that is not a command: a question (issue 23), rate-limited like one."""
    msg, chat = update.effective_message, update.effective_chat
    if msg is None or not msg.text or chat is None or context.services.ask is None:
        return
    limiter = context.bot_data.limiter
    if limiter is not None and not limiter.allow(chat.id):
        return
    stored = await ensure_chat(update, context)
    await send_reply(update, await asking.cmd_ask(context.env, Request(stored, text=msg.text)))


HANDLERS: dict[str, Any] = {name: globals()[f"cmd_{name}"] for name in COMMANDS}


async def on_dollar(update: Update, context: BotContext) -> None:
    """`$SYMBOL` in a private message."""
    msg = update.effective_message
    if msg is None or not msg.text:
        return
    chat = await ensure_chat(update, context)
    req = Request(chat, text=auth.message_text(msg))
    await send_reply(update, await commands.cmd_dollar(context.env, req))


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
    elif len(parts) == 2 and parts[0] in ("ad", "ah"):  # delete an own alert (issue 24)
        reply = await user_alerts.delete(context.env, req, parts[1])
    if reply is None:  # data we never sent (stale or malformed): a short notice stops the spinner
        await query.answer(views.to_plain(t(chat.language, "stale_button"))[:190])
        return
    await query.answer(views.to_plain(reply.text)[:190])
    if parts[0] in ("wu", "wm"):
        listing = await commands.cmd_watchlist(context.env, req)
        await query.edit_message_text(
            listing.text, parse_mode=ParseMode.HTML, reply_markup=markup(listing.buttons)
        )
    elif parts[0] == "ad":  # the /alerts message: show what is left
        listing = await user_alerts.listing(context.env, req)
        await query.edit_message_text(
            listing.text, parse_mode=ParseMode.HTML, reply_markup=markup(listing.buttons)
        )
    elif parts[0] == "ns":  # the /settings message: show the new state
        stored = await context.services.repos.chats.get_chat(chat.chat_id) or chat
        shown = views.render_settings(stored.language, stored)
        await query.edit_message_text(
            shown.text, parse_mode=ParseMode.HTML, reply_markup=markup(shown.buttons)
        )


async def on_stale_callback(update: Update, context: BotContext) -> None:
    """Any other button data (old keyboards, malformed data): answered with a short notice."""
    query = update.callback_query
    if query is not None:
        await query.answer(views.to_plain(t(_lang(None, update, context), "stale_button"))[:190])


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
    """Log every handler error; tell the user something went wrong (or, when the database cannot
    take writes right now, to try again shortly), nothing more. A pressed button is answered."""
    error = context.error
    fault = classify(error) if error is not None else None
    if fault is not None and fault is not StorageFault.ERROR:
        logger.warning("update %s: storage fault %s", getattr(update, "update_id", None), fault.value)
    else:
        logger.error("handler failed for update %s", getattr(update, "update_id", None), exc_info=error)
    if not isinstance(update, Update) or context.bot_data.env is None:
        return
    key = "error" if fault is None else "try_again_shortly"
    text = t(_lang(None, update, context), key)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(views.to_plain(text)[:190])
            return
        chat = update.effective_chat
        if update.effective_message is None or chat is None or chat.type == ChatType.CHANNEL:
            return
        await update.effective_message.reply_text(text)
    except Exception:
        logger.warning("could not tell update %s about the error", getattr(update, "update_id", None))


__all__ = ["HANDLERS", "BotApp", "BotContext", "BotData", "Command"]
