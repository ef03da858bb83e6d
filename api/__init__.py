"""The Market Data API: a thin FastAPI layer over the services the bot uses (see api/README.md).

`create_app` and `ApiServices` load on first use, so importing a small piece (`api.auth`) does not
import FastAPI for a process that serves no HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.app import create_app
    from api.services import ApiServices

__all__ = ["ApiServices", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from api.app import create_app

        return create_app
    if name == "ApiServices":
        from api.services import ApiServices

        return ApiServices
    raise AttributeError(f"module 'api' has no attribute {name!r}")
