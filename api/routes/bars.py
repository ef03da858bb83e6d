"""GET /v1/bars/{symbol}: raw OHLCV with the adjustment factor, or adjusted prices; paged; ETag."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import ApiState, Key, Page, Paging, Services
from api.errors import ApiError
from api.schemas import BarOut, BarsOut
from api.services import ApiServices
from core.types import Interval

router = APIRouter(tags=["bars"])


def date_range(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[start 00:00 UTC, end 23:59:59.999999 UTC]; 422 when end is before start."""
    if start is not None and end is not None and end < start:
        raise ApiError(422, "invalid_range", f"end ({end}) is before start ({start})")
    lo = None if start is None else datetime.combine(start, time(), UTC)
    hi = (
        None
        if end is None
        else datetime.combine(end + timedelta(days=1), time(), UTC) - timedelta(microseconds=1)
    )
    return lo, hi


def _cursor(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(422, "invalid_cursor", "cursor: pass next_cursor from the previous page") from None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@router.get("/bars/{symbol}", response_model=BarsOut)
async def get_bars(
    symbol: str,
    request: Request,
    services: Services,
    _key: Key,
    page: Paging,
    interval: Annotated[Interval, Query(description="1d, 1m, 5m or 15m")] = Interval.D1,
    start: Annotated[date | None, Query(description="first date, YYYY-MM-DD")] = None,
    end: Annotated[date | None, Query(description="last date, YYYY-MM-DD")] = None,
    adjusted: Annotated[bool, Query(description="prices times adj_factor")] = False,
) -> Response:
    """Bars oldest first, `limit` per page (at most the configured maximum); `next_cursor` pages on."""
    limits = services.limits
    limit = page.limit or limits.max_bars
    if limit > limits.max_bars:
        raise ApiError(422, "limit_too_large", f"limit: at most {limits.max_bars} bars per page")
    lo, hi = date_range(start, end)
    if interval != Interval.D1:
        days = limits.max_intraday_days
        if lo is None or hi is None:
            raise ApiError(422, "range_required", f"{interval} bars need start and end (at most {days} days)")
        if (hi - lo) > timedelta(days=days):
            raise ApiError(422, "range_too_long", f"range too long: at most {days} days of {interval} bars")
    inst = await services.resolver.resolve(symbol, verify=True)
    state: ApiState = request.app.state.api
    key = ("bars", inst.symbol, interval, lo, hi, adjusted, limit, page.cursor)
    entry = await state.cache.get_or_make(
        key, lambda: _page(services, inst.symbol, interval, lo, hi, adjusted, limit, page)
    )
    headers = {"ETag": entry.etag, "Cache-Control": f"private, max-age={int(limits.cache_s)}"}
    match = request.headers.get("if-none-match", "")
    if entry.etag in [t.strip().removeprefix("W/") for t in match.split(",")]:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return Response(entry.gzip(), media_type="application/json", headers=headers)
    return Response(entry.payload, media_type="application/json", headers=headers)


async def _page(
    services: ApiServices,
    symbol: str,
    interval: Interval,
    lo: datetime | None,
    hi: datetime | None,
    adjusted: bool,
    limit: int,
    page: Page,
) -> bytes:
    after = _cursor(page.cursor)
    first = max((t for t in (after, lo) if t is not None), default=None)  # a page reads from its cursor
    bars = await services.repos.bars.list_bars(symbol, interval, start=first, end=hi)
    if after is not None:
        bars = [b for b in bars if b.ts > after]
    chunk = bars[:limit]
    more = len(bars) > limit
    body = BarsOut(
        symbol=symbol,
        interval=str(interval),
        adjusted=adjusted,
        bars=[BarOut.of(b, adjusted) for b in chunk],
        next_cursor=chunk[-1].ts.isoformat() if more and chunk else None,
    )
    return body.model_dump_json().encode()
