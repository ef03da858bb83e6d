"""Price sources behind `core.ports.PriceSource`: Yahoo chart v8, KRX Open API, Alpha Vantage, EEX."""

from market.sources.alphavantage import AlphaVantageSource
from market.sources.base import FetchResult, Source
from market.sources.eex import EexSource
from market.sources.krx import KrxSource
from market.sources.yahoo import YahooSource

__all__ = ["AlphaVantageSource", "EexSource", "FetchResult", "KrxSource", "Source", "YahooSource"]
