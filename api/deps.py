"""Dependencies of the routes: services, the calling key (401/403/429), paging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from api.auth import KeyCache, RateLimiter
from api.cache import ResponseCache
from api.errors import ApiError
from api.services import ApiServices
from core.types import ApiKey

AUTHORISED = "finsignal.api_key"  # scope key: the request's key, once authorised


@dataclass(slots=True)
class ApiState:
    """What the app keeps for its lifetime (on `app.state.api`)."""

    services: ApiServices
    keys: KeyCache
    limiter: RateLimiter
    cache: ResponseCache


# Dependencies are `async def` and flat (each reads `app.state.api` itself): FastAPI runs a plain
# `def` one in a worker thread (two thread hops a request) and solves nested ones one by one; for a
# hot quote that was most of the request's CPU (bench/README.md, Market Data API).
async def get_services(request: Request) -> ApiServices:
    state: ApiState = request.app.state.api
    return state.services


def _secret(headers: Mapping[str, str]) -> str | None:
    given = headers.get("x-api-key")
    if given:
        return given.strip()
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def authorise(state: ApiState, headers: Mapping[str, str]) -> ApiKey:
    """The caller's active key, one rate-limit token taken; ApiError 401 without one, 429 (with
    Retry-After) past its rate limit."""
    secret = _secret(headers)
    if secret is None:
        raise ApiError(401, "unauthorized", "an API key is required (X-API-Key or Authorization: Bearer)")
    key = await state.keys.lookup(secret)
    if key is None or not key.active:
        raise ApiError(401, "unauthorized", "the API key is not valid")
    wait = state.limiter.take(key.prefix + key.name)
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            f"rate limit of {state.services.limits.rate_per_minute} requests a minute reached",
            headers={"Retry-After": str(wait)},
        )
    return key


async def require_key(request: Request) -> ApiKey:
    """`authorise` once a request (the hot-quote path may have done it: `scope[AUTHORISED]`)."""
    known: ApiKey | None = request.scope.get(AUTHORISED)
    if known is not None:
        return known
    return await authorise(request.app.state.api, request.headers)


async def require_admin(key: Annotated[ApiKey, Depends(require_key)]) -> ApiKey:
    """An admin key; 403 for a read key."""
    if not key.admin:
        raise ApiError(403, "forbidden", "this route needs an admin key")
    return key


Services = Annotated[ApiServices, Depends(get_services)]
Key = Annotated[ApiKey, Depends(require_key)]
Admin = Annotated[ApiKey, Depends(require_admin)]


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    cursor: str | None


async def paging(
    limit: Annotated[int | None, Query(ge=1, description="items per page")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Page:
    return Page(limit=limit or 0, cursor=cursor)


Paging = Annotated[Page, Depends(paging)]
