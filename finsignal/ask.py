"""Wiring of questions in plain words (issue 23): the AskService, and `finsignal ask "QUESTION"`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx

from ask.llm import ChatCompletionsModel
from ask.schema import TABLES
from ask.service import AskService
from ask.translate import NewsTranslator
from core.errors import DatabaseUnavailableError, UsageError
from core.ports import Repositories
from core.settings import Settings
from storage.readonly import open_readonly

logger = logging.getLogger(__name__)


def build_ask_service(
    settings: Settings, repos: Repositories, dialect: str, stack: AsyncExitStack
) -> AskService | None:
    """The AskService over a read-only connection (and the model when FINSIGNAL_LLM_BASE_URL is set);
    None, with a warning, where questions cannot run (an in-memory SQLite database has no file to open
    read-only)."""
    try:
        queries = open_readonly(
            settings.ask_database_url or settings.database_url,
            tables=TABLES,
            timeout_s=settings.ask_timeout_s,
        )
    except DatabaseUnavailableError as exc:
        logger.warning("questions in plain words are off: %s", exc)
        return None
    stack.push_async_callback(queries.close)
    model = None
    if settings.llm_base_url:
        client = httpx.AsyncClient()
        stack.push_async_callback(client.aclose)
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        model = ChatCompletionsModel(
            client, settings.llm_base_url, settings.llm_model, api_key=key, timeout_s=settings.llm_timeout_s
        )
    return AskService(
        queries,
        repos,
        dialect=dialect,
        model=model,
        model_first=settings.llm_mode == "always",
        max_rows=settings.ask_max_rows,
    )


def news_translator(settings: Settings, repos: Repositories) -> NewsTranslator | None:
    """Korean translations of English headlines through the model, when one is configured."""
    if not settings.llm_base_url:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    model = ChatCompletionsModel(
        httpx.AsyncClient(),
        settings.llm_base_url,
        settings.llm_model,
        api_key=key,
        timeout_s=settings.llm_timeout_s,
    )
    return NewsTranslator(model, repos.state)


def add_arguments(sub: Any) -> None:
    ask = sub.add_parser("ask", help="ask in plain words (Korean or English): SQL, a table and a chart")
    ask.add_argument("question", help='e.g. "지난 3개월 KAU25 종가 추이 보여줘" or "Apple close since March"')
    ask.add_argument("--json", action="store_true", help="print {sql, columns, rows} as JSON")
    ask.add_argument("--chart", type=Path, metavar="OUT.png", help="write the chart as PNG")


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Print the answer (sentence, table, SQL) or its JSON; 2 when refused or not understood."""
    from finsignal.container import open_app

    async with open_app(settings) as app:
        if app.ask is None:
            raise UsageError("questions need a database file or server (not an in-memory SQLite database)")
        answer = await app.ask.ask(args.question)
    if args.json:
        print(json.dumps(answer.as_json(), ensure_ascii=False, indent=2))
    else:
        print(answer.text)
        if answer.ok and answer.columns:
            print()
            print(answer.table)
            print()
            print(f"SQL: {answer.sql}")
    if args.chart is not None:
        png = answer.chart()
        if png is None:
            if answer.ok:
                print("(this answer has no chart)", file=sys.stderr)
        else:
            args.chart.write_bytes(png)
    return 0 if answer.ok else 2
