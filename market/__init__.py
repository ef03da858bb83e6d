"""Market data: symbol resolution, price sources with fallbacks and protection, validation, storage
of bars through the repositories, and the hot quote cache. Entry point: `MarketData`."""

from market.resample import resample
from market.service import MarketData, UpdateResult

__all__ = ["MarketData", "UpdateResult", "resample"]
