"""Korean translations and summaries of English headlines through the configured model (issue 23, item 6).

Never in an alert's way: `translate_soon` only schedules work in the background (bounded, each item
once) and returns at once; alerts and lists read `cached` (one state-repository read) and fall back to
the original title and the extractive summary when there is no translation yet. Each translation is
cached per item (`news-ko:{sha1(url)[:16]}` in the state repository) and validated: Hangul present,
lengths capped, no markup. Model failures are logged and leave the item untranslated.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ask.llm import ModelError
from core.ports import StateRepo
from core.types import NewsItem

logger = logging.getLogger(__name__)

MAX_TITLE = 200
MAX_SUMMARY = 400
_HANGUL = re.compile(r"[가-힣]")
_TAG = re.compile(r"<[^>]*>")
SYSTEM = (
    "You translate English financial news for Korean retail investors. Reply with JSON only: "
    '{"title": "<the headline in natural Korean>", "summary": "<one or two Korean sentences summarising '
    'the text>"}. Keep tickers, numbers and company names as they are. No other text.'
)


class Chat(Protocol):
    async def complete(self, chat: list[dict[str, str]], *, max_tokens: int = 512) -> str: ...


@dataclass(frozen=True, slots=True)
class Translation:
    title: str
    summary: str


def cache_key(item: NewsItem) -> str:
    return f"news-ko:{hashlib.sha1(item.url.encode()).hexdigest()[:16]}"


def parse_translation(content: str) -> Translation:
    """The model's JSON reply -> a clean Translation; ModelError when unusable."""
    start, end = content.find("{"), content.rfind("}")
    try:
        data = json.loads(content[start : end + 1]) if 0 <= start < end else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ModelError("translation reply is not a JSON object")
    title = _TAG.sub("", str(data.get("title") or "")).strip()[:MAX_TITLE]
    summary = _TAG.sub("", str(data.get("summary") or "")).strip()[:MAX_SUMMARY]
    if not title or not _HANGUL.search(title):
        raise ModelError("translation has no Korean title")
    return Translation(title, summary)


class NewsTranslator:
    def __init__(self, model: Chat, state: StateRepo, *, concurrency: int = 2) -> None:
        self.model = model
        self.state = state
        self._slots = asyncio.Semaphore(concurrency)
        self._pending: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def cached(self, item: NewsItem) -> Translation | None:
        raw = await self.state.get_state(cache_key(item))
        if raw is None:
            return None
        data = json.loads(raw)
        return Translation(str(data["title"]), str(data["summary"]))

    def translate_soon(self, items: Sequence[NewsItem]) -> int:
        """Schedule English items for translation in the background; returns how many were scheduled."""
        scheduled = 0
        for item in items:
            key = cache_key(item)
            if item.language != "en" or key in self._pending:
                continue
            self._pending.add(key)
            task = asyncio.create_task(self._translate_once(item, key), name=f"translate:{key}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            scheduled += 1
        return scheduled

    async def wait(self) -> None:
        """Wait for the scheduled translations (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _translate_once(self, item: NewsItem, key: str) -> None:
        try:
            if await self.state.get_state(key) is None:
                await self.translate(item)
        except ModelError as exc:
            logger.info("news translation of %s failed: %s", item.url[:80], exc)
        except Exception:
            logger.exception("news translation of %s failed", item.url[:80])
        finally:
            self._pending.discard(key)

    async def translate(self, item: NewsItem) -> Translation:
        """Ask the model now and cache the result (ModelError on failure)."""
        text = f"Headline: {item.title}\nText: {item.summary or item.title}"
        async with self._slots:
            content = await self.model.complete(
                [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}], max_tokens=400
            )
        result = parse_translation(content)
        payload = {"title": result.title, "summary": result.summary}
        await self.state.put_state(cache_key(item), json.dumps(payload, ensure_ascii=False).encode())
        return result
