"""One error shape for every failure: `{"error": {"code": ..., "message": ...}}`, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import DatabaseUnavailableError, FinsignalError, SourceError, SymbolError

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the client should see as is: HTTP status, stable code, message, optional details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}
        self.headers = headers or {}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body.update(details)
    return {"error": body}


def _respond(status: int, code: str, message: str, **kw: Any) -> JSONResponse:
    headers = kw.pop("headers", None)
    return JSONResponse(error_body(code, message, kw or None), status_code=status, headers=headers)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _respond(exc.status, exc.code, exc.message, headers=exc.headers, **exc.details)


async def _symbol_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SymbolError)
    return _respond(
        404, "unknown_symbol", f"{exc.symbol}: {exc.reason}", symbol=exc.symbol, suggestions=exc.suggestions
    )


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(p) for p in e['loc'] if p not in ('query', 'path', 'body'))}: {e['msg']}"
        for e in exc.errors()
    ]
    return _respond(422, "invalid_request", "; ".join(problems) or "invalid request")


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return _respond(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))


def _method(request: Request) -> str:
    """GET, POST...; WS for a WebSocket (whose errors come through these handlers too)."""
    return str(request.scope.get("method", "WS"))


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DatabaseUnavailableError):
        logger.warning("%s %s: database unavailable", _method(request), request.url.path)
        return _respond(503, "database_unavailable", "the database is unavailable; try again shortly")
    if isinstance(exc, SourceError):
        logger.warning("%s %s: %s", _method(request), request.url.path, exc)
        return _respond(503, "source_unavailable", "no price source could answer; try again shortly")
    logger.warning("%s %s: %s", _method(request), request.url.path, type(exc).__name__)
    return _respond(500, "internal_error", "the request failed; it has been logged")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # the type only: messages of unexpected errors can carry URLs, keys or SQL
    logger.error("%s %s crashed: %s", _method(request), request.url.path, type(exc).__name__)
    return _respond(500, "internal_error", "the request failed; it has been logged")


def install(app: FastAPI) -> None:
    """Register the handlers that produce the one error shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(SymbolError, _symbol_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(FinsignalError, _domain)
    app.add_exception_handler(Exception, _unexpected)
