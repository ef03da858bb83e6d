"""Wiring of questions in plain words (issue 23): the AskService and the news translator. The command
line (`finsignal ask "QUESTION"`) is in `finsignal.ask_cli`, which opens the app through the container."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack

import httpx

from ask.llm import ChatCompletionsModel
from ask.schema import TABLES
from ask.service import AskService
from ask.translate import NewsTranslator
from core.errors import DatabaseUnavailableError
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
