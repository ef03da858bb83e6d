"""The Redis hot tier for the latest quote per instrument (issue 20): `finsignal:quote:SYMBOL` holds the
quote and when it came from its source as JSON, with a TTL (`redis_quote_ttl_s`).

It sits behind `market.quotes.QuoteCache` (the in-process L1): a read that misses L1 costs one GET; the
process that fetched the quote writes it here before publishing `quote:SYMBOL`, and other processes drop
their L1 copy on that event. Redis errors never escape: a failed read is a miss, a failed write is
logged once per outage (the quote still reaches L1, the bus and the database paths).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime

from redis import exceptions as rexc
from redis.asyncio import Redis

from core.types import Quote
from market.quotes import CachedQuote
from market.redis_conn import mask_url

logger = logging.getLogger(__name__)
_DOWN = (rexc.RedisError, OSError)


class RedisQuoteTier:
    """`market.quotes.HotQuotes` on Redis strings with a TTL."""

    def __init__(self, client: Redis, *, ttl_s: float, prefix: str = "finsignal:quote:") -> None:
        self._client, self._ttl_ms, self._prefix = client, max(1, int(ttl_s * 1000)), prefix
        self.up = True
        self.reads = self.misses = self.errors = 0

    async def get(self, symbol: str) -> CachedQuote | None:
        self.reads += 1
        try:
            raw = await self._client.get(self._prefix + symbol)
        except _DOWN as exc:
            self._state(False, exc)
            return None
        self._state(True)
        if raw is None:
            self.misses += 1
            return None
        try:
            return _decode(str(raw))
        except (ValueError, KeyError, TypeError):
            logger.warning("hot tier: unreadable quote for %s dropped", symbol)
            self.misses += 1
            return None

    async def put(self, cached: CachedQuote) -> None:
        try:
            await self._client.set(self._prefix + cached.quote.symbol, _encode(cached), px=self._ttl_ms)
        except _DOWN as exc:
            self._state(False, exc)
            return
        self._state(True)

    def _state(self, up: bool, exc: BaseException | None = None) -> None:
        if not up:
            self.errors += 1
        if up == self.up:
            return
        self.up = up
        where = mask_url(self._client)
        if up:
            logger.warning("hot tier: redis %s is back", where)
        else:
            logger.warning(
                "hot tier: redis %s unreachable (%s): quotes from memory and sources only", where, exc
            )


def _encode(cached: CachedQuote) -> str:
    quote = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(cached.quote).items()}
    return json.dumps({"quote": quote, "fetched_at": cached.fetched_at.isoformat()})


def _decode(raw: str) -> CachedQuote:
    data = json.loads(raw)
    fields = dict(data["quote"])
    fields["ts"] = datetime.fromisoformat(fields["ts"])
    return CachedQuote(Quote(**fields), datetime.fromisoformat(data["fetched_at"]))
