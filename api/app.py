"""`create_app`: the FastAPI application, its middleware, error handlers and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from api import errors
from api.auth import KeyCache, RateLimiter
from api.cache import ResponseCache
from api.deps import ApiState
from api.hot import HotQuotes
from api.metrics import Metrics, MetricsMiddleware
from api.routes import dashboard, health, v1
from api.services import ApiServices, Limits
from api.wsframes import FrameTap

ServicesFactory = Callable[[], AbstractAsyncContextManager[ApiServices]]


def create_app(open_services: ServicesFactory, *, limits: Limits | None = None) -> FastAPI:
    """The API. `open_services` opens the services at start-up and closes them at shutdown (the
    composition root passes one built on `finsignal.container.open_app`; tests pass their own)."""
    limits = limits or Limits()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services() as services:
            app.state.api = ApiState(
                services=services,
                keys=KeyCache(services.repos.apikeys),
                limiter=RateLimiter(services.limits.rate_per_minute),
                cache=ResponseCache(services.limits.cache_s),
            )
            yield

    app = FastAPI(
        title="finsignal Market Data API",
        version="1",
        description="Quotes, bars, indicators, signals, ratings and news: the data behind the bot.",
        lifespan=lifespan,
    )
    app.state.metrics = Metrics()
    errors.install(app)
    app.include_router(health.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(packages=[("api", "static")]), name="static")
    app.include_router(v1)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(HotQuotes)  # inside CORS and the metrics
    if limits.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(limits.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Authorization", "If-None-Match", "Content-Type"],
            expose_headers=["ETag", "Retry-After"],
        )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(FrameTap)  # outermost: sees uvicorn's own send (api/wsframes.py)
    return app
