"""`/flows` (issue #22): the cross-market fund-flow chart and three sentences, Korean or English.

The command logic (`cmd_flows`) is Telegram-free like `bot.commands`; `on_flows` is its Telegram
handler (registered in `bot.app.add_handlers`). Data comes through `BotServices.flows`
(`core.flows.FlowsReader`): the stored monthly data, never a source call from a chat.
"""

from __future__ import annotations

from telegram import Update

from bot.commands import Env, Request
from bot.handlers import BotContext, ensure_chat, is_admin, send_reply
from bot.views import Reply, esc
from core.types import Language

TITLE = {
    Language.EN: "<b>Cross-market fund flows</b> · {month}",
    Language.KO: "<b>시장 간 자금 흐름</b> · {month}",
}
UNAVAILABLE = {
    Language.EN: "The fund-flow tracker is not available right now.",
    Language.KO: "지금은 자금 흐름 정보를 볼 수 없습니다.",
}


async def cmd_flows(env: Env, req: Request) -> Reply:
    reader = env.services.flows
    if reader is None:
        return Reply(UNAVAILABLE[req.lang])
    digest = await reader.digest(req.lang.value, chart=True)
    lines = [esc(s, 400) for s in digest.sentences]
    if digest.month is None:
        return Reply("\n".join(lines))
    title = TITLE[req.lang].format(month=f"{digest.month:%Y-%m}")
    return Reply("\n".join([title, "", *lines]), photo=digest.chart)


async def on_flows(update: Update, context: BotContext) -> None:
    """/flows."""
    if update.effective_message is None or update.effective_chat is None:
        return
    chat = await ensure_chat(update, context)
    user = update.effective_user
    req = Request(
        chat=chat,
        user_id=user.id if user else None,
        is_admin=is_admin(update, context),
        message_id=update.effective_message.message_id,
    )
    await send_reply(update, await cmd_flows(context.env, req))
