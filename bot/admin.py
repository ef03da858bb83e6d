"""Admin-only command logic. The gate checks the sender against `settings.admin_ids` before these
run, and each of them checks `Request.is_admin` again (set from the sender by the handler; the
console's operator is an admin): a path that skips the gate still refuses."""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import replace

from bot import views
from bot.commands import Command, Env, Request, resolve
from bot.i18n import t
from bot.views import MAX_MESSAGE, Reply, esc
from core import storage_faults
from core.errors import FinsignalError
from core.types import OutboxMessage, Tier

logger = logging.getLogger(__name__)


def admin_only(fn: Command) -> Command:
    """Refuse unless the request comes from one of the bot's administrators."""

    @functools.wraps(fn)
    async def checked(env: Env, req: Request) -> Reply:
        if not req.is_admin:
            logger.warning("admin command %s refused to user %s", fn.__name__, req.user_id)
            return Reply(t(req.lang, "not_admin"))
        return await fn(env, req)

    return checked


@admin_only
async def cmd_backtest(env: Env, req: Request) -> Reply:
    if len(req.args) != 1:
        return views.usage(req.lang, "/backtest SYMBOL")
    if env.services.backtests is None:
        return Reply(t(req.lang, "service_unavailable"))
    inst = await resolve(env, req, req.args[0])
    if isinstance(inst, Reply):
        return inst
    try:
        summary = await env.services.backtests.run(inst.symbol)
    except (FinsignalError, ValueError) as exc:  # no stored history, or too little to study
        logger.info("backtest %s: %s", inst.symbol, exc)
        return Reply(t(req.lang, "backtest_no_data", symbol=esc(inst.symbol)))
    return Reply(f"<b>{esc(inst.symbol)}</b>\n<pre>{esc(summary, MAX_MESSAGE - 200)}</pre>")


@admin_only
async def cmd_status(env: Env, req: Request) -> Reply:
    if env.services.health is None:
        return Reply(t(req.lang, "service_unavailable"))
    report = dict(await env.services.health.report())
    report.setdefault("outbox_pending", await env.services.repos.outbox.count_pending())
    if "storage" not in report:  # disk full / read-only shows only on a write
        report["storage"] = await storage_faults.write_probe(env.services.repos.state)
    if faults := storage_faults.current():
        report["storage_faults"] = faults
    return views.render_status(req.lang, report)


@admin_only
async def cmd_broadcast(env: Env, req: Request) -> Reply:
    text = req.text.strip()
    if not text:
        return views.usage(req.lang, "/broadcast TEXT")
    body = esc(text, MAX_MESSAGE - 10)
    digest = hashlib.sha256(f"{req.chat.chat_id}:{req.message_id}:{text}".encode()).hexdigest()[:16]
    chats = await env.services.repos.chats.list_chats(active_only=True)
    messages = [
        OutboxMessage(
            chat_id=c.chat_id, dedup_key=f"broadcast:{digest}:{c.chat_id}", text=body, kind="broadcast"
        )
        for c in chats
        if c.chat_id != 0
    ]
    count = await env.services.repos.outbox.enqueue(messages)
    logger.info("broadcast %s queued for %d chats", digest, count)
    return Reply(t(req.lang, "broadcast_queued", count=count))


@admin_only
async def cmd_premium(env: Env, req: Request) -> Reply:
    if len(req.args) != 2 or req.args[0].lower() not in ("add", "remove"):
        return views.usage(req.lang, "/premium add|remove CHAT_ID")
    try:
        chat_id = int(req.args[1])
    except ValueError:
        return views.usage(req.lang, "/premium add|remove CHAT_ID")
    chats = env.services.repos.chats
    chat = await chats.get_chat(chat_id)
    if chat is None:
        return Reply(t(req.lang, "chat_not_found", chat_id=esc(req.args[1], 30)))
    tier = Tier.PREMIUM if req.args[0].lower() == "add" else Tier.FREE
    await chats.upsert_chat(replace(chat, tier=tier))
    return Reply(t(req.lang, "premium_set", chat_id=chat_id, tier=tier.value))
