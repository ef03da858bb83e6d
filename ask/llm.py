"""A text-to-SQL model behind an OpenAI-compatible `/v1/chat/completions` server (vLLM, llama.cpp, Ollama).

Source discipline as in `market/sources`: base URL from settings, a rate limit, retries of 429/503/5xx
and timeouts with backoff (Retry-After honoured, capped), a circuit breaker after repeated failures,
and validation of the reply (one SQL statement out of the text). Every failure is a `ModelError` with a
short reason and no secret; the caller falls back to the offline answer or says so.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any, Protocol

import httpx
from aiolimiter import AsyncLimiter

from ask.prompt import messages
from core.errors import SourceError

logger = logging.getLogger(__name__)

SOURCE = "llm"
_FENCE = re.compile(r"```(?:sql)?\s*(.*?)```", re.S | re.I)
_START = re.compile(r"\bSELECT\b|\bWITH\s+\w+(?:\s*\([^)]*\))?\s+AS\s*\(", re.I)
_STATEMENT = re.compile(
    r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE|DROP|CREATE|ALTER|PRAGMA|ATTACH|REPLACE)\b", re.I
)


class ModelError(SourceError):
    """The model server failed or answered with no usable SQL."""

    def __init__(self, reason: str) -> None:
        super().__init__(SOURCE, reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class SqlModel(Protocol):
    async def sql_for(self, question: str) -> str: ...


def extract_sql(content: str) -> str:
    """The SQL in a model's reply: a fenced block if any, else the reply when it starts with a statement,
    else from the first SELECT/WITH on. Nothing is cut off: the guard sees (and refuses) stacked SQL."""
    fenced = _FENCE.search(content)
    text = (fenced.group(1) if fenced else content).strip()
    if _STATEMENT.match(text):
        return text
    start = _START.search(text)
    if start is None:
        raise ModelError("the reply holds no SELECT")
    return text[start.start() :].strip()


class ChatCompletionsModel:
    """`sql_for(question)` through POST {base}/v1/chat/completions."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        retries: int = 2,
        rate_per_s: float = 2.0,
        breaker_failures: int = 5,
        breaker_reset_s: float = 60.0,
    ) -> None:
        self.client = client
        self.url = base_url.rstrip("/").removesuffix("/v1") + "/v1/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retries = retries
        self.limiter = AsyncLimiter(max(1.0, rate_per_s), 1.0)
        self.breaker_failures = breaker_failures
        self.breaker_reset_s = breaker_reset_s
        self._failures = 0
        self._opened_at: float | None = None

    async def sql_for(self, question: str) -> str:
        return extract_sql(await self.complete(messages(question)))

    async def complete(self, chat: list[dict[str, str]], *, max_tokens: int = 512) -> str:
        """The assistant's reply to `chat` (retries, breaker); ModelError on failure."""
        if self._opened_at is not None:
            if time.monotonic() - self._opened_at < self.breaker_reset_s:
                raise ModelError("model server unavailable (circuit open after repeated failures)")
            self._opened_at = None
        try:
            content = await self._complete(chat, max_tokens)
        except ModelError:
            self._failures += 1
            if self._failures >= self.breaker_failures:
                self._opened_at = time.monotonic()
            raise
        self._failures = 0
        return content

    async def _complete(self, chat: list[dict[str, str]], max_tokens: int) -> str:
        body = {"model": self.model, "messages": chat, "temperature": 0, "max_tokens": max_tokens,
                "stream": False}  # fmt: skip
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        delay = 0.5
        for attempt in range(self.retries + 1):
            async with self.limiter:
                try:
                    response = await self.client.post(
                        self.url, json=body, headers=headers, timeout=self.timeout_s
                    )
                except httpx.TimeoutException:
                    reason, wait = f"timed out after {self.timeout_s:g} s", delay
                except httpx.TransportError as exc:
                    reason, wait = f"connection failed ({type(exc).__name__})", delay
                else:
                    status = response.status_code
                    if status == 200:
                        return _content(response)
                    if status not in (429, 500, 502, 503, 504):
                        raise ModelError(f"HTTP {status}{_error_message(response)}")
                    reason, wait = f"HTTP {status}", _retry_after(response, delay)
            if attempt < self.retries:
                logger.info("llm: %s, retry %d in %.1f s", reason, attempt + 1, wait)
                await asyncio.sleep(wait)
                delay *= 4
        raise ModelError(reason)


def _retry_after(response: httpx.Response, default: float) -> float:
    try:
        return min(5.0, max(0.0, float(response.headers.get("retry-after", ""))))
    except ValueError:
        return default


def _error_message(response: httpx.Response) -> str:
    try:
        payload: Any = response.json()
    except ValueError:
        return ""
    error = payload.get("error") if isinstance(payload, dict) else None
    message = (
        error.get("message")
        if isinstance(error, dict)
        else payload.get("message")
        if isinstance(payload, dict)
        else None
    )
    return f": {str(message)[:120]}" if message else ""


def _content(response: httpx.Response) -> str:
    try:
        payload: Any = response.json()
        content = payload["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ModelError("malformed reply (no choices[0].message.content)") from None
    if not isinstance(content, str) or not content.strip():
        raise ModelError("empty reply")
    return content
