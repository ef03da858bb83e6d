"""News items and backtest ratings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, or_, select, tuple_, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.timeutil import utcnow
from core.types import NewsItem, Rating, SignalType
from storage.models import KEY, NewsRow, RatingRow
from storage.repos.base import Decoder, Repo, chunked, table_of
from storage.repos.versions import RATINGS, VersionedCache, bump
from storage.sqltypes import list_pattern


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _text(column: Any) -> Any:
    """The stored text of a StrList column (to match it with LIKE)."""
    return type_coerce(column, Text)


def _fingerprint(item: NewsItem) -> str | None:
    return item.fingerprint[:KEY] if item.fingerprint else None


def _to_news(row: NewsRow) -> NewsItem:
    return NewsItem(
        url=row.url,
        title=row.title,
        source=row.source,
        published=row.published,
        summary=row.summary,
        language=row.language,
        guid=row.guid,
        fingerprint=row.fingerprint or "",
        symbols=tuple(row.symbols),
        industries=tuple(row.industries),
        kind=row.kind,
        id=row.id,
    )


class SqlNewsRepo(Repo):
    async def add_news(self, items: Sequence[NewsItem]) -> list[NewsItem]:
        """Store items unknown by URL, guid and fingerprint (also within the batch); returns the new ones."""
        if not items:
            return []
        async with self._sessions.begin() as session:
            known: set[str] = set()
            for chunk in chunked(items, 300):
                urls = [_sha256(i.url) for i in chunk]
                guids = [_sha256(i.guid) for i in chunk if i.guid]
                prints = [fp for i in chunk if (fp := _fingerprint(i))]
                query = select(NewsRow.url_hash, NewsRow.guid_hash, NewsRow.fingerprint).where(
                    or_(
                        NewsRow.url_hash.in_(urls),
                        NewsRow.guid_hash.in_(guids),
                        NewsRow.fingerprint.in_(prints),
                    )
                )
                for row in await session.execute(query):
                    known |= {"u" + row[0], "g" + (row[1] or ""), "f" + (row[2] or "")}
            stmt = self._insert_ignore(NewsRow)
            created: list[NewsItem] = []
            now = utcnow()
            for item in items:
                url_hash = _sha256(item.url)
                guid_hash = _sha256(item.guid) if item.guid else None
                fingerprint = _fingerprint(item)
                keys = {"u" + url_hash} | ({"g" + guid_hash} if guid_hash else set())
                keys |= {"f" + fingerprint} if fingerprint else set()
                if keys & known:
                    continue
                known |= keys
                params = {
                    "url": item.url,
                    "url_hash": url_hash,
                    "guid": item.guid,
                    "guid_hash": guid_hash,
                    "fingerprint": fingerprint,
                    "title": item.title,
                    "source": item.source[:64],
                    "summary": item.summary,
                    "language": item.language[:8],
                    "symbols": tuple(item.symbols),
                    "industries": tuple(item.industries),
                    "kind": item.kind[:32],
                    "published": item.published,
                    "created_at": now,
                }
                result = await session.execute(stmt, params)
                if getattr(result, "rowcount", 0) == 1:
                    row = await session.scalar(select(NewsRow).where(NewsRow.url_hash == url_hash))
                    assert row is not None
                    created.append(_to_news(row))
        return created

    async def list_news(
        self, *, symbol: str | None = None, industry: str | None = None, limit: int = 10
    ) -> list[NewsItem]:
        query = select(NewsRow).order_by(NewsRow.published.desc(), NewsRow.id.desc()).limit(limit)
        if symbol is not None:
            query = query.where(_text(NewsRow.symbols).like(list_pattern(symbol), escape="\\"))
        if industry is not None:
            query = query.where(
                type_coerce(NewsRow.industries, Text).like(list_pattern(industry), escape="\\")
            )
        async with self._sessions() as session:
            return [_to_news(row) for row in await session.scalars(query)]


_RATING_FIELDS = (
    "count",
    "hit_rate",
    "mean_return",
    "median_return",
    "baseline_mean",
    "excess",
    "t_stat",
    "worst_mae",
    "sd_return",
    "median_drawdown",
    "worst_drawdown",
    "return_risk",
    "grade",
    "excluded",
    "params",
    "period_start",
    "period_end",
    "run_at",
)


def _to_rating(row: RatingRow) -> Rating:
    return _rating_of({c.name: getattr(row, c.name) for c in table_of(RatingRow).c})


_SIGNALS = {s.value: s for s in SignalType}


def _pairs(pairs: Sequence[tuple[str, str]], *, sqlite: bool) -> ColumnElement[bool]:
    """WHERE (symbol, signal) is one of `pairs`, as each database ranges it on the unique key."""
    if not sqlite:
        return tuple_(RatingRow.symbol, RatingRow.signal).in_(pairs)
    by_signal: dict[str, list[str]] = {}
    for symbol, signal in pairs:
        by_signal.setdefault(signal, []).append(symbol)
    return or_(*(and_(RatingRow.signal == k, RatingRow.symbol.in_(v)) for k, v in by_signal.items()))


def _rating_of(v: dict[str, Any]) -> Rating:
    return Rating(
        symbol=v["symbol"],
        signal=_SIGNALS.get(v["signal"]) or SignalType(v["signal"]),
        horizon=v["horizon"],
        count=v["count"],
        hit_rate=v["hit_rate"],
        mean_return=v["mean_return"],
        median_return=v["median_return"],
        baseline_mean=v["baseline_mean"],
        excess=v["excess"],
        t_stat=v["t_stat"],
        worst_mae=v["worst_mae"],
        sd_return=v["sd_return"],
        median_drawdown=v["median_drawdown"],
        worst_drawdown=v["worst_drawdown"],
        return_risk=v["return_risk"],
        grade=v["grade"],
        period_start=v["period_start"],
        period_end=v["period_end"],
        excluded=v["excluded"],
        params=dict(v["params"] or {}),
        run_at=v["run_at"],
    )


Picks = dict[tuple[str, SignalType], Rating]


class SqlRatingRepo(Repo):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], dialect: str) -> None:
        super().__init__(sessions, dialect)
        self._picks: VersionedCache[Picks] = VersionedCache(RATINGS)

    async def upsert_ratings(self, ratings: Sequence[Rating]) -> int:
        """Insert or replace per (symbol, signal, horizon); returns the number of distinct ratings."""
        now = utcnow()
        params = {
            (r.symbol, str(r.signal), r.horizon): {
                "symbol": r.symbol,
                "signal": str(r.signal),
                "horizon": r.horizon,
                **{f: getattr(r, f) for f in _RATING_FIELDS},
                "params": dict(r.params),
                "run_at": r.run_at or now,
            }
            for r in ratings
        }
        if not params:
            return 0
        stmt = self._upsert(RatingRow, ["symbol", "signal", "horizon"], _RATING_FIELDS)
        async with self._sessions.begin() as session:
            conn = await session.connection()
            for chunk in chunked(list(params.values())):
                await conn.execute(stmt, list(chunk))
            await bump(session, RATINGS)
        return len(params)

    async def list_ratings(self, symbol: str) -> list[Rating]:
        query = select(RatingRow).where(RatingRow.symbol == symbol)
        async with self._sessions() as session:
            rows = await session.scalars(query.order_by(RatingRow.signal, RatingRow.horizon))
            return [_to_rating(row) for row in rows]

    async def pick_ratings(
        self, pairs: Iterable[tuple[str, SignalType]], horizon: int
    ) -> dict[tuple[str, SignalType], Rating]:
        asked = set(pairs)
        wanted = sorted((symbol, str(signal)) for symbol, signal in asked)
        async with self._sessions() as session:
            held = await self._picks.current(session, horizon)
            if held is not None:  # kept by `cache_ratings` at this horizon and still current
                return {p: r for p in asked if (r := held.get(p)) is not None}
            picked: Picks = {}
            await _pick(await session.connection(), wanted, horizon, picked)
            return picked

    async def cache_ratings(self, horizon: int) -> int:
        async def load(session: AsyncSession) -> Picks:
            conn = await session.connection()
            picked: Picks = {}
            await _read_picks(conn, picked, RatingRow.horizon == horizon)  # every rating at `horizon`
            others = select(RatingRow.symbol, RatingRow.signal).where(RatingRow.horizon != horizon)
            missing = {
                (symbol, signal)
                for symbol, signal in await conn.execute(others.distinct())
                if signal in _SIGNALS and (symbol, _SIGNALS[signal]) not in picked
            }
            await _read_pairs(conn, sorted(missing), picked, RatingRow.horizon != horizon)
            return picked

        return len(await self._picks.refresh(self._sessions, load, horizon))

    async def get_rating(self, symbol: str, signal: SignalType, horizon: int) -> Rating | None:
        query = select(RatingRow).where(
            RatingRow.symbol == symbol, RatingRow.signal == str(signal), RatingRow.horizon == horizon
        )
        async with self._sessions() as session:
            row = await session.scalar(query)
            return None if row is None else _to_rating(row)


async def _pick(
    conn: AsyncConnection, wanted: Sequence[tuple[str, str]], horizon: int, picked: Picks
) -> None:
    """`pick_rating` of each (symbol, signal) in `wanted` into `picked`: at `horizon` first, then the
    pairs without that horizon for their others."""
    await _read_pairs(conn, wanted, picked, RatingRow.horizon == horizon)
    missing = [p for p in wanted if (p[0], SignalType(p[1])) not in picked]
    await _read_pairs(conn, missing, picked, RatingRow.horizon != horizon)


async def _read_pairs(
    conn: AsyncConnection, pairs: Sequence[tuple[str, str]], picked: Picks, *where: Any
) -> None:
    """`_read_picks` of the ratings of `pairs` (symbol, signal) `where`: one statement per 1,000 pairs
    on the unique key."""
    for part in chunked(pairs, 1000):
        await _read_picks(conn, picked, _pairs(part, sqlite=conn.dialect.name == "sqlite"), *where)


async def _read_picks(conn: AsyncConnection, picked: Picks, *where: Any) -> None:
    """The ratings `where` into `picked` by (symbol, signal), the shortest horizon last (it wins).
    MySQL/MariaDB range a row-value IN (`_pairs`) well; SQLite scanned the table for it (33 ms per
    500 pairs) and ranges an OR of (signal = s AND symbol IN ...) per signal instead, which MariaDB's
    range optimizer is slow to plan (bench/README.md, "Stop 35")."""
    table = table_of(RatingRow)
    decode = Decoder(list(table.c), conn.dialect)
    names = [c.name for c in table.c]
    query = select(*decode.columns).where(*where).order_by(RatingRow.horizon.desc())
    for raw in await conn.execute(query):
        rating = _rating_of(dict(zip(names, decode(raw), strict=True)))
        picked[(rating.symbol, rating.signal)] = rating
