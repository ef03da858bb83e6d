"""The hot-quote path: `GET /v1/quotes/{symbol}` answered by a plain ASGI middleware, before
FastAPI's routing and dependency solving (which cost most of a cached quote's CPU: bench/README.md).

Same functions as the route (`deps.authorise`, the resolver, the quote cache, `QuoteOut`), same
answer. Anything but a success (no key, 429, unknown symbol, a source down) falls through to the
FastAPI route, which answers it in the one error shape; an authorised key is passed along in the
scope so its rate-limit token is not taken twice. The metrics count these requests under
`/v1/quotes/{symbol}` as any other.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import AUTHORISED, ApiState, authorise
from api.errors import ApiError
from api.metrics import ROUTE
from api.schemas import QuoteOut
from core.errors import FinsignalError

PATH = re.compile(r"^/v1/quotes/([^/]{1,64})$")
_HEADERS = [(b"content-type", b"application/json")]


class HotQuotes:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = PATH.match(scope["path"]) if scope["type"] == "http" else None
        if match is None or scope["method"] != "GET" or scope.get("query_string"):
            await self.app(scope, receive, send)
            return
        body = await self._answer(scope, match.group(1))
        if body is None:
            await self.app(scope, receive, send)
            return
        template = scope.get(ROUTE)
        if isinstance(template, list):
            template.append("/v1/quotes/{symbol}")
        headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope, symbol: str) -> bytes | None:
        state: ApiState | None = getattr(scope["app"].state, "api", None)
        if state is None:
            return None
        try:
            scope[AUTHORISED] = await authorise(state, Headers(scope=scope))
            services = state.services
            inst = await services.resolver.resolve(symbol, verify=True)
            quote, age = await services.quotes.quote(inst)
            halted = services.halts is not None and await services.halts.is_halted(inst)
        except (ApiError, FinsignalError):
            return None  # the route answers it, in the one error shape
        out = QuoteOut.of(quote, age, services.limits.quote_max_age_s, halted=halted)
        return out.model_dump_json().encode()
