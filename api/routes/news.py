"""GET /v1/news?symbol=&industry=&since=: classified headlines, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Key, Services
from api.schemas import NewsOut
from core.timeutil import ensure_utc

router = APIRouter(tags=["news"])


@router.get("/news", response_model=list[NewsOut])
async def list_news(
    services: Services,
    _key: Key,
    symbol: Annotated[str | None, Query()] = None,
    industry: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 time")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[NewsOut]:
    resolved = None if symbol is None else (await services.resolver.resolve(symbol)).symbol
    items = await services.repos.news.list_news(symbol=resolved, industry=industry, limit=limit)
    if since is not None:
        floor = ensure_utc(since)
        items = [n for n in items if ensure_utc(n.published) >= floor]
    return [NewsOut.of(n) for n in items]
