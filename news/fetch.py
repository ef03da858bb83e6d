"""HTTP for feeds: conditional GETs with a browser User-Agent, a total deadline and a bounded read."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from core.errors import DataError, PermanentSourceError, RateLimitedError, TransientSourceError
from news.parse import challenge_reason, looks_like_html

logger = logging.getLogger(__name__)

BROWSER_HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    ),
    "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, "
    "text/html;q=0.7, */*;q=0.5",
    "Accept-Language": "en-US,en;q=0.9,ko;q=0.8",
}
_ERROR_BODY_MAX = 64_000


class ResponseTooLargeError(DataError):
    """The body passed the byte limit; reading stopped there."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response: 200 with a body, or 304 (not modified) without one."""

    status: int
    content: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def make_client(transport: httpx.AsyncBaseTransport | None, timeout_s: float) -> httpx.AsyncClient:
    """The client used for one crawl: browser headers, per-phase timeouts, redirects followed."""
    return httpx.AsyncClient(
        transport=transport,
        headers=BROWSER_HEADERS,
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=True,
        max_redirects=5,
    )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    source: str,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int,
    timeout_s: float,
) -> Fetched:
    """GET `url` conditionally, reading at most `max_bytes`, all within `timeout_s` seconds.

    Raises TransientSourceError (timeouts, connection errors, 5xx), RateLimitedError (429),
    PermanentSourceError (403/404 and other 4xx, bot challenges) and ResponseTooLargeError.
    """
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(timeout_s):
            return await _get(client, url, headers, source=source, max_bytes=max_bytes)
    except TimeoutError:
        raise TransientSourceError(source, f"no complete response within {timeout_s:g}s") from None
    except httpx.TimeoutException as exc:
        raise TransientSourceError(source, f"timed out ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        raise TransientSourceError(source, f"connection failed ({type(exc).__name__})") from None


async def _get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], *, source: str, max_bytes: int
) -> Fetched:
    async with client.stream("GET", url, headers=headers) as resp:
        if resp.status_code == 304:
            return Fetched(
                304, etag=resp.headers.get("ETag"), last_modified=resp.headers.get("Last-Modified")
            )
        if resp.status_code != 200:
            body = await _read(resp, _ERROR_BODY_MAX, truncate=True)
            raise _status_error(source, resp, body)
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise ResponseTooLargeError(f"Content-Length {declared} exceeds the {max_bytes} byte limit")
        content = await _read(resp, max_bytes)
        return Fetched(
            200,
            content,
            etag=resp.headers.get("ETag"),
            last_modified=resp.headers.get("Last-Modified"),
            content_type=resp.headers.get("Content-Type", ""),
        )


async def _read(resp: httpx.Response, limit: int, *, truncate: bool = False) -> bytes:
    """Read the body chunk by chunk; stop once it passes `limit` (error, or truncate when asked)."""
    chunks: list[bytes] = []
    total = 0
    async for chunk in resp.aiter_bytes():
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            if truncate:
                break
            raise ResponseTooLargeError(f"response passed the {limit} byte limit; stopped reading")
    return b"".join(chunks)[: limit if truncate else None]


def _status_error(source: str, resp: httpx.Response, body: bytes) -> Exception:
    code = resp.status_code
    if code == 429:
        return RateLimitedError(source, "HTTP 429 Too Many Requests", retry_after=retry_after_s(resp))
    if code >= 500:
        return TransientSourceError(source, f"HTTP {code}")
    challenge = challenge_reason(body) if looks_like_html(body) else None
    detail = f" ({challenge})" if challenge else ""
    return PermanentSourceError(source, f"HTTP {code}{detail}")


def retry_after_s(resp: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    value = resp.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
