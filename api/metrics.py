"""Request metrics: a pure ASGI middleware counting requests and timing them per route template."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ROUTE = "finsignal.route"  # scope key: a list the fast path (api.hot) puts its route template in


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "finsignal_api_requests", "API requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "finsignal_api_request_seconds",
            "API request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one request (label children looked up once per route and status)."""
        child = self._children.get((method, route, status))
        if child is None:
            child = (self.requests.labels(method, route, str(status)), self.latency.labels(route))
            if len(self._children) < 10_000:
                self._children[(method, route, status)] = child
        child[0].inc()
        child[1].observe(seconds)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]
        template: list[str] = []  # a fast path before the router names its route here
        scope[ROUTE] = template

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route: Any = scope.get("route")
            name = template[0] if template else getattr(route, "path", "unmatched")
            path = str(scope.get("path", ""))
            if name != "unmatched" and not path.startswith(name.split("{")[0]):
                name = "/v1" + name if path.startswith("/v1/") else name  # router-local template
            self.metrics.observe(scope["method"], name, status[0], time.perf_counter() - started)
