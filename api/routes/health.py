"""GET /healthz (alive), GET /readyz (database and sources), GET /metrics (Prometheus text)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import Services

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: Services) -> JSONResponse:
    """200 when the database answers, else 503; source breakers are listed either way."""
    report: dict[str, Any] = dict(await services.readiness.check())
    ready = report.get("database") == "ok"
    degraded = report.get("redis", {}).get("state") == "degraded"  # issue 20: served without Redis
    report["status"] = "not ready" if not ready else "degraded" if degraded else "ready"
    return JSONResponse(report, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Request counts and latencies per route, in the Prometheus text format."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
