"""News: collect headlines (RSS/Atom/HTML), normalise, deduplicate, classify, summarise and serve them.

from news import NewsService, CrawlResult, classify
svc = NewsService(settings, repos)
result = await svc.crawl(["005930.KS", "FCO2.DE"])
items = await svc.latest("반도체", limit=5)
"""

from news.classify import Classification, Classifier, NewsKind, classify
from news.query import Query, resolve_query
from news.service import CrawlResult, NewsService, Translator

__all__ = [
    "Classification",
    "Classifier",
    "CrawlResult",
    "NewsKind",
    "NewsService",
    "Query",
    "Translator",
    "classify",
    "resolve_query",
]
