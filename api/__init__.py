"""The Market Data API: a thin FastAPI layer over the services the bot uses (see api/README.md)."""

from api.app import create_app
from api.services import ApiServices

__all__ = ["ApiServices", "create_app"]
