"""FRED series/observations with frequency=m (SOURCES.md section 10). Key from settings; `"."` = missing.

An error body `{"error_code": 400, "error_message": ...}` is permanent (a bad key or series id); 429
and 5xx go through the guard's retries. The key is never put into a message.
"""

from __future__ import annotations

from datetime import date

from core.errors import PermanentSourceError
from fundflow.catalogue import MonthlyPoint, SeriesSpec, add_months
from fundflow.sources.base import FlowSource, keep, malformed
from market.errors import NoDataError
from market.http import get, parse_json
from market.sources.base import to_float


class MissingKeyError(PermanentSourceError):
    """The source needs a key that is not set: no request is made."""


class FredMonthly(FlowSource):
    name = "fred"

    async def monthly(self, spec: SeriesSpec, first: date, last: date) -> list[MonthlyPoint]:
        key = self.settings.fred_key.get_secret_value() if self.settings.fred_key else ""
        if not key:
            raise MissingKeyError(self.name, f"{spec.series}: FINSIGNAL_FRED_KEY is not set")
        url = self.url(self.settings.fred_base_url, "/fred/series/observations")
        params: dict[str, str | int] = {
            "series_id": spec.symbol,
            "api_key": key,
            "file_type": "json",
            "frequency": "m",
            "observation_start": first.isoformat(),
            "observation_end": (add_months(last, 1)).isoformat(),
        }

        async def attempt() -> list[MonthlyPoint]:
            response = await get(
                self.client,
                self.name,
                url,
                params=params,
                timeout_s=self.settings.http_timeout_s,
                ok_statuses=(200, 400, 404),
            )
            return _points(spec.symbol, parse_json(self.name, response))

        return keep(await self.guard.call(attempt), first, last)


def _points(series_id: str, payload: object) -> list[MonthlyPoint]:
    if not isinstance(payload, dict):
        raise malformed("fred", f"{series_id}: not an object")
    if "error_code" in payload:
        raise PermanentSourceError("fred", f"{series_id}: error {payload.get('error_code')}")
    rows = payload.get("observations")
    if not isinstance(rows, list):
        raise malformed("fred", f"{series_id}: no 'observations'")
    out: list[MonthlyPoint] = []
    for row in rows:
        if not isinstance(row, dict):
            raise malformed("fred", f"{series_id}: observation is not an object")
        value = to_float(row.get("value"))
        if value is None:  # "." = missing month
            continue
        try:
            out.append(MonthlyPoint(date.fromisoformat(str(row.get("date"))).replace(day=1), value))
        except ValueError:
            raise malformed("fred", f"{series_id}: bad date {row.get('date')!r}") from None
    if not out:
        raise NoDataError("fred", f"{series_id}: no observations")
    return out
