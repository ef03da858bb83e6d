"""One router module per resource; `v1` gathers the versioned ones."""

from fastapi import APIRouter

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
# issue 23 (plain-language questions) adds `POST /v1/ask` here: `from api.routes import ask` and
# `v1.include_router(ask.router)`, with its service as a field of `api.services.ApiServices`.

__all__ = ["health", "v1"]
