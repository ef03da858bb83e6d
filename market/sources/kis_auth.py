"""The KIS access token: issued once, kept, reused until shortly before it expires.

KIS (`POST /oauth2/tokenP`) issues a token valid for 24 hours, sends a KakaoTalk notice for each
issuance and refuses more than one issuance a minute (`EGW00133`). So the token is stored in the
state store (it survives a restart and is shared by processes on one database), reused until
`margin` before its expiry, and issued by one caller at a time: many requests that need a token at
the same moment wait for the same issuance. A request told that the token expired (`EGW00123`)
invalidates exactly that token; the next caller issues a new one, once.

The token is a secret: it is never logged, and `KisToken.__repr__` hides it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.errors import RateLimitedError
from core.timeutil import Clock
from market.budget import BlobStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class KisToken:
    value: str = field(repr=False)
    expires_at: datetime  # aware UTC
    issued_at: datetime  # aware UTC

    def to_json(self) -> bytes:
        return json.dumps(
            {"v": self.value, "exp": self.expires_at.isoformat(), "iss": self.issued_at.isoformat()}
        ).encode()

    @classmethod
    def from_json(cls, blob: bytes) -> KisToken:
        raw = json.loads(blob)
        token = cls(str(raw["v"]), datetime.fromisoformat(raw["exp"]), datetime.fromisoformat(raw["iss"]))
        if token.expires_at.tzinfo is None or token.issued_at.tzinfo is None:
            raise ValueError("naive timestamp")
        return token


class KisTokens:
    """The token of one app key. `get()` returns a usable token, issuing one only when needed."""

    def __init__(
        self,
        app_key: str,
        issue: Callable[[], Awaitable[KisToken]],
        *,
        clock: Clock,
        store: BlobStore | None,
        margin: timedelta = timedelta(minutes=10),
        min_gap_s: float = 61.0,
    ) -> None:
        self._issue = issue
        self._clock = clock
        self._store = store
        self._margin = margin
        self._min_gap_s = min_gap_s
        self._lock = asyncio.Lock()
        self._token: KisToken | None = None
        self._loaded = store is None
        self.issued = 0  # issuances made by this process (for health and tests)
        self.key = "market.kis.token." + hashlib.sha256(app_key.encode()).hexdigest()[:16]

    async def get(self) -> str:
        token = self._token
        if token is not None and self._usable(token):
            return token.value
        async with self._lock:
            if not self._loaded:
                await self._load()
            token = self._token
            if token is None or not self._usable(token):
                token = await self._renew(token)
            return token.value

    def invalidate(self, value: str) -> None:
        """The server said this token expired: the next `get()` issues another (unless one already did)."""
        if self._token is not None and self._token.value == value:
            self._token = KisToken("", self._token.issued_at, self._token.issued_at)

    def _usable(self, token: KisToken) -> bool:
        return bool(token.value) and self._clock.now() < token.expires_at - self._margin

    async def _renew(self, previous: KisToken | None) -> KisToken:
        if previous is not None:  # at most one issuance a minute, ours or another process's
            wait = self._min_gap_s - (self._clock.now() - previous.issued_at).total_seconds()
            if wait > 0:
                logger.info("source kis: waiting %.0fs before issuing a new access token", wait)
                await asyncio.sleep(wait)
        for attempt in range(3):
            try:
                token = await self._issue()
                break
            except RateLimitedError as exc:  # EGW00133: issued too recently (maybe by another process)
                if attempt == 2:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else self._min_gap_s
                logger.info("source kis: token issuance refused for now; retrying in %.0fs", wait)
                await asyncio.sleep(wait)
        self.issued += 1
        self._token = token
        logger.info(
            "source kis: access token issued, valid until %s", f"{token.expires_at:%Y-%m-%d %H:%M} UTC"
        )
        await self._save(token)
        return token

    async def _load(self) -> None:
        self._loaded = True
        assert self._store is not None
        try:
            blob = await self._store.get_state(self.key)
            if blob:
                self._token = KisToken.from_json(blob)
        except Exception as exc:  # unreadable or stale format: issue a new one
            logger.warning("source kis: stored access token not usable (%s)", type(exc).__name__)

    async def _save(self, token: KisToken) -> None:
        if self._store is None:
            return
        try:
            await self._store.put_state(self.key, token.to_json())
        except Exception as exc:
            logger.warning("source kis: access token not stored (%s); kept in memory", type(exc).__name__)
