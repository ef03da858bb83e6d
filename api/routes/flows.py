"""GET /v1/flows: the cross-market fund-flow picture (issue #22) the report and `/flows` show, as JSON;
GET /v1/flows/chart.png: its chart. Read from the stored monthly data; never fetches from sources."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import Key, Services
from api.errors import ApiError
from api.services import ApiServices
from core.flows import FlowsReader

router = APIRouter(tags=["flows"])
Lang = Annotated[Literal["en", "ko"], Query(description="language of `sentences` and the chart")]


def _reader(services: ApiServices) -> FlowsReader:
    reader: FlowsReader | None = services.flows
    if reader is None:
        raise ApiError(503, "unavailable", "the fund-flow tracker is not configured in this process")
    return reader


@router.get("/flows")
async def flows(services: Services, _key: Key, lang: Lang = "en") -> dict[str, Any]:
    """Latest month, three sentences, monthly shares of the flow proxy per market, the 36-month
    return correlation, rotations and the strongest lead-lag; `month` is null before a collection."""
    digest = await _reader(services).digest(lang)
    return {
        "month": None if digest.month is None else f"{digest.month:%Y-%m}",
        "lang": lang,
        "sentences": list(digest.sentences),
        **digest.data,
    }


@router.get("/flows/chart.png", response_class=Response)
async def flows_chart(services: Services, _key: Key, lang: Lang = "en") -> Response:
    digest = await _reader(services).digest(lang, chart=True)
    if digest.chart is None:
        raise ApiError(404, "no_data", "no fund-flow data yet: run `finsignal flows collect`")
    return Response(digest.chart, media_type="image/png", headers={"Cache-Control": "max-age=3600"})
