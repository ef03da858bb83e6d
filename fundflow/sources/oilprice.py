"""OilPriceAPI history (SOURCES.md section 13), used only when FINSIGNAL_OILPRICE_KEY is set.

Unconfirmed design, as the facts say: the free tier's limits are unknown and the docs' history
examples conflict, so this follows the official SDK's shape: `GET /v1/prices/past_year?by_code=&
interval=1m&per_page=100&page=N`, header `Authorization: Token KEY` (not Bearer), reading
`data.prices[] = {price, created_at, code}` and paging with `X-Total-Pages`. Only the past year is
available through this route; older months come from Yahoo's CL=F.
"""

from __future__ import annotations

from datetime import date, datetime

from core.errors import PermanentSourceError
from fundflow.catalogue import MonthlyPoint, SeriesSpec, month_of
from fundflow.sources.base import FlowSource, keep, malformed
from fundflow.sources.fred import MissingKeyError
from market.errors import NoDataError
from market.http import get, parse_json
from market.sources.base import to_float


class OilPriceMonthly(FlowSource):
    name = "oilprice"

    async def monthly(self, spec: SeriesSpec, first: date, last: date) -> list[MonthlyPoint]:
        key = self.settings.oilprice_key.get_secret_value() if self.settings.oilprice_key else ""
        if not key:
            raise MissingKeyError(self.name, f"{spec.series}: FINSIGNAL_OILPRICE_KEY is not set")
        url = self.url(self.settings.oilprice_base_url, "/v1/prices/past_year")
        points: list[MonthlyPoint] = []
        page, pages = 1, 1
        while page <= pages:
            params: dict[str, str | int] = {
                "by_code": spec.symbol,
                "interval": "1m",
                "per_page": 100,
                "page": page,
            }

            async def attempt(params: dict[str, str | int] = params) -> tuple[list[MonthlyPoint], int]:
                response = await get(
                    self.client,
                    self.name,
                    url,
                    params=params,
                    headers={"Authorization": f"Token {key}"},
                    timeout_s=self.settings.http_timeout_s,
                )
                total = response.headers.get("x-total-pages", "1")
                return _points(spec.symbol, parse_json(self.name, response)), int(
                    total
                ) if total.isdigit() else 1

            got, pages = await self.guard.call(attempt)
            points += got
            page += 1
        if not points:
            raise NoDataError(self.name, f"{spec.symbol}: no prices")
        return keep(points, first, last)


def _points(code: str, payload: object) -> list[MonthlyPoint]:
    if not isinstance(payload, dict):
        raise malformed("oilprice", f"{code}: not an object")
    if payload.get("status") != "success":
        error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
        raise PermanentSourceError("oilprice", f"{code}: {error.get('code', 'failed')}")  # type: ignore[union-attr]
    prices = (payload.get("data") or {}).get("prices")
    if not isinstance(prices, list):
        raise malformed("oilprice", f"{code}: no data.prices")
    out: list[MonthlyPoint] = []
    for item in prices:
        price = to_float(item.get("price")) if isinstance(item, dict) else None
        when = str(item.get("created_at", "")) if isinstance(item, dict) else ""
        try:
            month = month_of(datetime.fromisoformat(when.replace("Z", "+00:00")).date())
        except ValueError:
            raise malformed("oilprice", f"{code}: bad created_at {when!r}") from None
        if price is None or price <= 0:
            raise malformed("oilprice", f"{code}: bad price")
        out.append(MonthlyPoint(month, price))
    return out
