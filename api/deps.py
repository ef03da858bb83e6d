"""Dependencies of the routes: services, the calling key (401/403/429), paging."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from api.auth import KeyCache, RateLimiter
from api.errors import ApiError
from api.services import ApiServices
from core.types import ApiKey


@dataclass(slots=True)
class ApiState:
    """What the app keeps for its lifetime (on `app.state.api`)."""

    services: ApiServices
    keys: KeyCache
    limiter: RateLimiter


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


def get_services(state: Annotated[ApiState, Depends(get_state)]) -> ApiServices:
    return state.services


def _secret(request: Request) -> str | None:
    given = request.headers.get("x-api-key")
    if given:
        return given.strip()
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def require_key(request: Request, state: Annotated[ApiState, Depends(get_state)]) -> ApiKey:
    """The caller's active key; 401 without one, 429 (Retry-After) past its rate limit."""
    secret = _secret(request)
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


def paging(
    limit: Annotated[int | None, Query(ge=1, description="items per page")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Page:
    return Page(limit=limit or 0, cursor=cursor)


Paging = Annotated[Page, Depends(paging)]
