"""One router module per resource; `v1` gathers the versioned ones."""

from fastapi import APIRouter

import api.routes.ask as ask  # issue 23
from api.routes import backtests, bars, carbon, health, indicators, instruments, news, quotes, signals, stream

v1 = APIRouter(prefix="/v1")
for module in (instruments, quotes, bars, indicators, signals, news, carbon, backtests, stream):
    v1.include_router(module.router)
v1.include_router(ask.router)  # issue 23: POST /v1/ask

__all__ = ["health", "v1"]
