"""One router module per resource; `v1` gathers the versioned ones."""

from fastapi import APIRouter

import api.routes.ask as ask  # issue 23
from api.routes import (
    backtests,
    bars,
    carbon,
    health,
    indicators,
    instruments,
    investors,
    news,
    quotes,
    signals,
    stream,
)
from api.routes.flows import router as flows_router  # issue 22

v1 = APIRouter(prefix="/v1")
for module in (instruments, quotes, bars, indicators, signals, news, carbon, backtests, stream, investors):
    v1.include_router(module.router)
v1.include_router(flows_router)  # issue 22: GET /v1/flows (service: ApiServices.flows)
v1.include_router(ask.router)  # issue 23: POST /v1/ask

__all__ = ["health", "v1"]
