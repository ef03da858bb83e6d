"""ECB Data Portal EXR monthly averages in SDMX-JSON (SOURCES.md section 12.1), Yahoo as fallback.

Rates are per 1 EUR, so a USD-based rate is CCY/EUR / USD/EUR: one request asks for
`M.USD+CCY.EUR.SP00.A`. Series keys `0:k:0:0:0` name the currency through
`structure.dimensions.series[1].values[k].id`; observation index i names the month through
`structure.dimensions.observation[0].values[i].id`. "No data" as a 404 is the SDMX convention (unconfirmed).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from core.errors import SourceError
from fundflow.catalogue import MonthlyPoint, SeriesSpec
from fundflow.sources.base import FlowSource, keep, malformed
from fundflow.sources.yahoo import YahooMonthly
from market.errors import NoDataError
from market.http import get, parse_json

logger = logging.getLogger(__name__)


class EcbMonthly(FlowSource):
    name = "ecb"

    async def monthly(self, spec: SeriesSpec, first: date, last: date) -> list[MonthlyPoint]:
        ccy = spec.symbol.upper()
        wanted = "USD" if ccy == "USD" else f"USD+{ccy}"
        url = self.url(self.settings.ecb_base_url, f"/service/data/EXR/M.{wanted}.EUR.SP00.A")
        params: dict[str, str | int] = {
            "startPeriod": first.strftime("%Y-%m"),
            "endPeriod": last.strftime("%Y-%m"),
            "format": "jsondata",
            "detail": "dataonly",
        }

        async def attempt() -> list[MonthlyPoint]:
            response = await get(
                self.client,
                self.name,
                url,
                params=params,
                timeout_s=self.settings.http_timeout_s,
                ok_statuses=(200, 404),
            )
            if response.status_code == 404:
                raise NoDataError(self.name, f"{spec.series}: no data")
            return _rate(spec.series, ccy, _per_eur(spec.series, parse_json(self.name, response)))

        return keep(await self.guard.call(attempt), first, last)


def _per_eur(series: str, payload: Any) -> dict[str, dict[date, float]]:
    """{currency: {month: units per EUR}}."""
    try:
        structure = payload["structure"]["dimensions"]
        currencies = [v["id"] for v in structure["series"][1]["values"]]
        months = [date.fromisoformat(v["id"] + "-01") for v in structure["observation"][0]["values"]]
        out: dict[str, dict[date, float]] = {}
        for key, body in payload["dataSets"][0]["series"].items():
            ccy = currencies[int(key.split(":")[1])]
            for idx, obs in body["observations"].items():
                if obs and obs[0] is not None:
                    out.setdefault(ccy, {})[months[int(idx)]] = float(obs[0])
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise malformed("ecb", f"{series}: {type(exc).__name__}") from None
    return out


def _rate(series: str, ccy: str, per_eur: dict[str, dict[date, float]]) -> list[MonthlyPoint]:
    usd = per_eur.get("USD", {})
    if ccy == "USD":
        points = [MonthlyPoint(m, v) for m, v in usd.items()]
    else:
        other = per_eur.get(ccy, {})
        points = [MonthlyPoint(m, other[m] / usd[m]) for m in other if usd.get(m)]
    if not points:
        raise NoDataError("ecb", f"{series}: no observations")
    if any(p.value <= 0 for p in points):
        raise malformed("ecb", f"{series}: non-positive rate")
    return sorted(points, key=lambda p: p.month)


class FxWithFallback(FlowSource):
    """ECB first; on any source failure the series' Yahoo ticker (`fallback`), logged with the series."""

    name = "ecb"

    def __init__(self, ecb: EcbMonthly, yahoo: YahooMonthly) -> None:
        super().__init__(ecb.settings, ecb.client, ecb.guard, ecb.clock)
        self.ecb, self.yahoo = ecb, yahoo
        self.used_fallback: list[str] = []

    async def monthly(self, spec: SeriesSpec, first: date, last: date) -> list[MonthlyPoint]:
        try:
            return await self.ecb.monthly(spec, first, last)
        except SourceError as exc:
            if not spec.fallback:
                raise
            logger.warning(
                "fundflow %s: ECB failed (%s); falling back to Yahoo %s", spec.key, exc, spec.fallback
            )
            self.used_fallback.append(spec.key)
            return await self.yahoo.ticker(spec.fallback, first, last)
