"""`AiohttpRequest`: python-telegram-bot's pluggable `BaseRequest` over aiohttp, for the outbox sender.

Why: at the paid-broadcast rate (Telegram: up to 1,000 messages/s with `allow_paid_broadcast`) the
stock `HTTPXRequest` spent 1.5-3.0 ms of CPU per send with 100 in flight on loopback, 6-6.7 ms at a
50 ms round trip (httpcore walks every connection of its pool, polling each idle socket, for every
request it assigns): 90-524 sends/s in one process. Over aiohttp, whose connector hands out a
kept-alive connection from a queue: 0.3-0.5 ms, 780-3,300/s. `bench/bot.py --subscribers N` has the
figures (bench/README.md, stop 34).

What PTB does stays PTB's: `Bot.send_message` builds the request, `BaseRequest` turns the status
and body into `RetryAfter`, `Forbidden`, `BadRequest`, `NetworkError`. This class only moves bytes:
form-encoded parameters (multipart when files are uploaded), certifi's CA bundle as httpx uses, the
same timeouts as `HTTPXRequest`
(aiohttp has no write timeout of its own: `write_timeout` bounds the whole request when given,
together with the read timeout). Its own errors name the exception and never the URL, which
carries the bot token.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

import aiohttp
import certifi
from telegram.error import NetworkError, TimedOut
from telegram.ext import BaseRateLimiter, ExtBot
from telegram.request import BaseRequest, RequestData

logger = logging.getLogger(__name__)

_DEFAULT = BaseRequest.DEFAULT_NONE
_UNSET = type(_DEFAULT)  # PTB's DefaultValue: "not given, use the request's own"


def _pick(value: Any, default: float | None) -> float | None:
    """A timeout PTB passed, or ours when it passed its "not given" marker (as HTTPXRequest does)."""
    return default if isinstance(value, _UNSET) else value  # type: ignore[no-any-return]


class AiohttpRequest(BaseRequest):
    """A `telegram.request.BaseRequest` over one `aiohttp.ClientSession` with at most
    `connection_pool_size` kept-alive HTTP/1.1 connections."""

    __slots__ = ("_connect", "_limit", "_media_write", "_pool", "_read", "_session", "_write")

    def __init__(
        self,
        connection_pool_size: int = 64,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._limit = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            trust = ssl.create_default_context(cafile=certifi.where())  # what httpx trusts, too
            connector = aiohttp.TCPConnector(limit=self._limit, limit_per_host=self._limit, ssl=trust)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}, raise_for_status=False
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _timeout(self, read: Any, write: Any, connect: Any, pool: Any, files: bool) -> aiohttp.ClientTimeout:
        read_s = _pick(read, self._read)
        write_s = _pick(write, self._media_write if files else self._write)
        connect_s = _pick(connect, self._connect)
        pool_s = _pick(pool, self._pool)
        # aiohttp's `connect` covers waiting for a pooled connection and opening one
        acquire = None if connect_s is None or pool_s is None else connect_s + pool_s
        total = None if read_s is None or write_s is None else read_s + write_s + (acquire or 0.0)
        return aiohttp.ClientTimeout(total=total, connect=acquire, sock_connect=connect_s, sock_read=read_s)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = _DEFAULT,
        write_timeout: Any = _DEFAULT,
        connect_timeout: Any = _DEFAULT,
        pool_timeout: Any = _DEFAULT,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        body: aiohttp.FormData | dict[str, str] | None = None
        if files:
            body = aiohttp.FormData(request_data.json_parameters if request_data else {})
            for name, (filename, content, mimetype) in ((k, _part(v)) for k, v in files.items()):
                body.add_field(name, content, filename=filename, content_type=mimetype)
        elif request_data is not None:
            body = request_data.json_parameters
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout, bool(files))
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as res:
                return res.status, await res.read()
        except TimeoutError as exc:
            raise TimedOut(_describe(exc, url)) from None
        except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a URL aiohttp cannot parse
            raise NetworkError(_describe(exc, url)) from None


def _part(value: Any) -> tuple[str | None, Any, str | None]:
    """PTB gives a file as content, (filename, content) or (filename, content, mimetype)."""
    if isinstance(value, tuple):
        if len(value) == 3:
            return value[0], value[1], value[2]
        return value[0], value[1], None
    return None, value, None


def _describe(exc: BaseException, url: str) -> str:
    """The exception's class and text with the URL's path (it holds the token) taken out."""
    text = str(exc)
    rest = url.split("://", 1)[-1]  # not urlsplit: it raises on the malformed URLs that end up here
    path = rest[rest.find("/") :] if "/" in rest else ""
    for secret in (url, rest, path):
        if len(secret) > 1:
            text = text.replace(secret, "<url>")
    return f"aiohttp.{type(exc).__name__}: {text}".rstrip(": ")


def sender_bot(
    token: str, base_url: str, base_file_url: str, limiter: BaseRateLimiter[int], *, pool: int
) -> ExtBot[int]:
    """The bot the outbox sender uses with paid broadcast on: the same token, Bot API server and rate
    limiter as the application's bot (one limiter, so replies and alerts share Telegram's windows), its
    HTTP over `AiohttpRequest` with `pool` connections. Initialise and shut it down with the sender."""
    return ExtBot(
        token,
        base_url=base_url,
        base_file_url=base_file_url,
        rate_limiter=limiter,
        request=AiohttpRequest(pool),
    )
