"""/ask QUESTION, and plain-text questions in private chats (issue 23): sentence, table, chart, SQL.

The answer is in the question's language. With a chart, everything goes in the photo's caption
(Telegram allows 1,024 characters): the table shrinks, then goes, before the SQL is shortened. The SQL
sits in an expandable blockquote, collapsed until tapped.
"""

from __future__ import annotations

import asyncio
from html import escape

from ask.answer import table_text
from ask.service import Answer
from bot.commands import Env, Request
from bot.views import Reply

MAX_CAPTION = 1024
MAX_MESSAGE = 4096
_TEXTS = {
    "usage": {
        "en": "Usage: /ask QUESTION, e.g. /ask Apple close over the last 3 months",
        "ko": "사용법: /ask 질문, 예: /ask 지난 3개월 KAU25 종가 추이 보여줘",
    },
    "off": {"en": "Questions are not enabled on this bot.", "ko": "이 봇에서는 질문 기능이 꺼져 있습니다."},
}


async def cmd_ask(env: Env, req: Request) -> Reply:
    """Answer a question about prices, signals, ratings or news."""
    lang = str(req.lang)
    if env.services.ask is None:
        return Reply(_TEXTS["off"].get(lang, _TEXTS["off"]["en"]))
    question = req.text.strip()
    if not question:
        return Reply(_TEXTS["usage"].get(lang, _TEXTS["usage"]["en"]))
    watches = await env.services.repos.watches.list_watches(req.chat.chat_id)
    answer = await env.services.ask.ask(question, watchlist=[w.symbol for w in watches])
    photo = await asyncio.to_thread(answer.chart) if answer.ok else None
    return Reply(render(answer, MAX_CAPTION if photo else MAX_MESSAGE), photo=photo)


def render(answer: Answer, limit: int = MAX_MESSAGE) -> str:
    """HTML: the sentence, the table in <pre>, the SQL in an expandable blockquote, within `limit`."""
    head = escape(answer.text)
    if not answer.ok or not answer.sql:
        return head[:limit]
    sql = escape(answer.sql)
    for rows in (10, 6, 4, 0):
        table = ""
        if rows and answer.columns:
            table = f"\n<pre>{escape(table_text(answer.columns, answer.rows, rows))}</pre>"
        text = f"{head}{table}\n<blockquote expandable>SQL: {sql}</blockquote>"
        if len(text) <= limit:
            return text
    room = max(0, limit - len(head) - len("\n<blockquote expandable>SQL: …</blockquote>"))
    cut = sql[:room].rsplit("&", 1)[0] if "&" in sql[max(0, room - 6) : room] else sql[:room]
    return f"{head}\n<blockquote expandable>SQL: {cut}…</blockquote>"[: max(limit, 0)]
