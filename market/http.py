"""One HTTP attempt against a source, with every failure mapped onto the `core.errors` policy.

Messages name the source and the HTTP status or symptom, never the URL's query (it may hold a key).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from core.errors import PermanentSourceError, RateLimitedError, TransientSourceError

logger = logging.getLogger(__name__)

BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36"
)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return float(value)
    except ValueError:
        return None


async def get(
    client: httpx.AsyncClient,
    source: str,
    url: str,
    *,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout_s: float,
    ok_statuses: tuple[int, ...] = (200,),
) -> httpx.Response:
    """GET once; raise Transient (timeouts, 5xx, connection), RateLimited (429) or Permanent (4xx)."""
    try:
        response = await client.get(url, params=params, headers=headers, timeout=timeout_s)
    except httpx.TimeoutException:
        raise TransientSourceError(source, f"timed out after {timeout_s:g}s") from None
    except httpx.TransportError as exc:
        raise TransientSourceError(source, f"connection failed ({type(exc).__name__})") from None
    status = response.status_code
    if status in ok_statuses:
        return response
    if status == 429:
        raise RateLimitedError(source, "HTTP 429 Too Many Requests", retry_after=_retry_after(response))
    if status in (401, 403):
        raise PermanentSourceError(
            source,
            f"HTTP {status}: access refused (key missing, wrong or not approved)",
        )
    if status >= 500:
        raise TransientSourceError(source, f"HTTP {status}")
    raise PermanentSourceError(source, f"HTTP {status}")


def parse_json(source: str, response: httpx.Response) -> Any:
    """Decode a JSON body; an HTML page (consent/maintenance/bot wall) or a cut-off body is transient."""
    body = response.content
    ctype = response.headers.get("content-type", "")
    head = body[:200].lstrip().lower()
    if "html" in ctype or head.startswith((b"<!doctype", b"<html", b"<")):
        raise TransientSourceError(source, "HTML page instead of JSON")
    if not body.strip():
        raise TransientSourceError(source, "empty response body")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise TransientSourceError(source, f"truncated or invalid JSON ({len(body)} bytes)") from None
