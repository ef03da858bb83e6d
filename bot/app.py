"""All Telegram wiring in one place: `build_application` and `run_application`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import flows, handlers
from bot.delivery import Sender
from bot.dispatch import COMMANDS, MENU_EN, MENU_KO
from bot.fastrequest import sender_bot
from bot.handlers import BotApp, BotContext, BotData, make_env
from bot.ratelimit import ChatRateLimiter, CommandLimiter
from bot.sender import paid_sender_options
from bot.services import BotServices
from core.errors import ConfigError
from core.instance import instance_id
from core.settings import Settings
from core.timeutil import Clock

logger = logging.getLogger(__name__)

Hook = Callable[[BotApp], Awaitable[None]]


async def set_menu(app: BotApp) -> None:
    """The command menu in English (default) and Korean."""
    await app.bot.set_my_commands([BotCommand(k, v) for k, v in MENU_EN.items()])
    await app.bot.set_my_commands([BotCommand(k, v) for k, v in MENU_KO.items()], language_code="ko")


class RedactToken(logging.Filter):
    """Replace the bot token in log records (PTB logs its API URLs, which embed it, at DEBUG)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token and self._token in message:
            record.msg = message.replace(self._token, "<token>")
            record.args = ()
        return True


_TOKEN_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Application", "telegram.ext.Updater")


def protect_token(token: str) -> None:
    """Keep the token out of logs: httpx at WARNING (it logs request URLs), PTB's records redacted."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in _TOKEN_LOGGERS:
        log = logging.getLogger(name)
        if not any(isinstance(f, RedactToken) and f._token == token for f in log.filters):
            log.addFilter(RedactToken(token))


def build_application(
    settings: Settings,
    services: BotServices,
    *,
    on_startup: Hook | None = None,
    on_shutdown: Hook | None = None,
    clock: Clock | None = None,
    rate_limiter: ChatRateLimiter | None = None,
    run_sender: bool = True,
    sender_options: dict[str, Any] | None = None,
) -> BotApp:
    """The python-telegram-bot Application: handlers, rate limits, menu, the outbox sender.

    `on_startup`/`on_shutdown` run after the bot is initialised / before it shuts down (the composition
    root starts and stops the scheduler there). With `run_sender`, the outbox `Sender` runs as a task
    between start-up and shutdown.
    """
    if not settings.telegram_enabled or settings.telegram_token is None:
        raise ConfigError(
            "FINSIGNAL_TELEGRAM_TOKEN is not set: the bot needs a token (or use `finsignal chat`)"
        )
    token = settings.telegram_token.get_secret_value()
    protect_token(token)  # the token is in every request URL
    context_types = ContextTypes(context=BotContext, bot_data=BotData)
    limiter = rate_limiter or ChatRateLimiter(
        overall_per_s=settings.send_rate_per_second,
        paid_per_s=settings.paid_rate_per_second if settings.paid_broadcast else None,
    )
    stop_sender = asyncio.Event()
    own_bots: list[ExtBot[int]] = []  # the sender's own bot (paid broadcast), shut down after it stops

    async def post_init(app: BotApp) -> None:
        await set_menu(app)
        if run_sender:
            options: dict[str, Any] = {
                "lease_owner": instance_id(settings.instance_id, settings.data_dir, settings.role),
                "lease_ttl_s": settings.sender_lease_ttl_s,
                "after_crash": settings.after_crash,
                **paid_sender_options(settings),
                **(sender_options or {}),
            }
            bot = app.bot
            if settings.paid_broadcast:  # its own bot over aiohttp: httpx cannot keep up with 1,000/s
                bot = sender_bot(
                    token,
                    settings.telegram_base_url,
                    settings.telegram_base_file_url,
                    limiter,
                    pool=options["concurrency"],
                )
                await bot.initialize()
                own_bots.append(bot)
            sender = Sender(bot, services.repos, clock=clock, **options)
            app.bot_data.sender = sender
            stop_sender.clear()
            app.bot_data.tasks.append(asyncio.create_task(sender.run(stop_sender), name="outbox-sender"))
        if on_startup is not None:
            await on_startup(app)

    async def post_stop(app: BotApp) -> None:
        stop_sender.set()
        for task in app.bot_data.tasks:
            try:
                await asyncio.wait_for(task, timeout=30)
            except Exception:
                logger.exception("outbox sender did not stop cleanly")
        app.bot_data.tasks.clear()
        while own_bots:
            await own_bots.pop().shutdown()

    async def post_shutdown(app: BotApp) -> None:
        if on_shutdown is not None:
            await on_shutdown(app)

    app: BotApp = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .context_types(context_types)
        .rate_limiter(limiter)
        .concurrent_updates(64)  # a reply waiting on a chat's rate limit must not hold up other chats
        .job_queue(None)  # one scheduler only: the project's own
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data.env = make_env(services, settings, clock)
    app.bot_data.limiter = CommandLimiter(settings.command_rate_per_minute)
    add_handlers(app)
    return app


def add_handlers(app: BotApp) -> None:
    """Register every handler (the gate in group -1, the rest in group 0)."""
    app.add_handler(TypeHandler(Update, handlers.gate), group=-1)
    new = filters.UpdateType.MESSAGE  # edits never run commands (bot.auth); the gate drops them too
    for name in COMMANDS:
        app.add_handler(CommandHandler(name, handlers.HANDLERS[name], filters=new))
    app.add_handler(
        MessageHandler(
            new
            & filters.ChatType.PRIVATE
            & filters.TEXT
            & ~filters.COMMAND
            & filters.Regex(r"\$[A-Za-z0-9]"),
            handlers.on_dollar,
        )
    )
    app.add_handler(CommandHandler("flows", flows.on_flows, filters=new))  # issue 22 (bot/flows.py)
    app.add_handler(MessageHandler(new & filters.COMMAND, handlers.on_unknown))
    app.add_handler(  # issue 23: other plain text in private chats is a question
        MessageHandler(new & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, handlers.on_question)
    )
    app.add_handler(CallbackQueryHandler(handlers.on_callback, pattern=r"^(u|wu|wm|m|ns|na|ad|ah)\|"))
    app.add_handler(CallbackQueryHandler(handlers.on_stale_callback))  # every button gets an answer
    app.add_handler(ChatMemberHandler(handlers.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(handlers.on_error)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT/SIGTERM (where the loop supports signal handlers)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def run_application(
    app: BotApp, settings: Settings, stop: asyncio.Event | None = None, *, poll_timeout: int = 10
) -> None:
    """Run the bot inside the running event loop until `stop` is set (default: SIGINT/SIGTERM).

    Long polling by default; a webhook server when FINSIGNAL_TELEGRAM_MODE=webhook (webhook_url,
    webhook_listen, webhook_port, webhook_secret). Same lifecycle as `Application.run_polling`:
    post_init (menu, sender, on_startup) ... post_stop (sender) ... post_shutdown (on_shutdown).
    """
    webhook = settings.telegram_mode == "webhook"
    if webhook and not settings.webhook_url:
        raise ConfigError("FINSIGNAL_WEBHOOK_URL is required when FINSIGNAL_TELEGRAM_MODE=webhook")
    stop = stop or stop_on_signals()
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        assert app.updater is not None
        if webhook:
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            await app.updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=urlparse(settings.webhook_url).path.strip("/"),
                webhook_url=settings.webhook_url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            await app.updater.start_polling(
                poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
            )
        await app.start()
        logger.info("bot running (%s)", settings.telegram_mode)
        await stop.wait()
        await app.updater.stop()
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
