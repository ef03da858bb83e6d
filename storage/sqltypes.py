"""Column types that behave the same on SQLite and MySQL/MariaDB."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import BigInteger, DateTime, Dialect, Integer, LargeBinary, Numeric, Text, func
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator

# Autoincrement keys: BIGINT on MySQL, INTEGER (the rowid alias) on SQLite.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class _MySQLBlob(TypeDecorator[bytes]):
    """LONGBLOB sent as hex through UNHEX(): aiomysql 0.3.2 cannot escape `bytes` parameters with
    PyMySQL >= 1.2.3 (aio-libs/aiomysql#1080), while strings always work."""

    impl = mysql.LONGBLOB
    cache_ok = True

    def bind_expression(self, bindvalue: Any) -> Any:
        return func.unhex(bindvalue)

    def bind_processor(self, dialect: Dialect) -> Any:
        def process(value: bytes | None) -> str | None:
            return None if value is None else bytes(value).hex()

        return process


# Blobs: BLOB is only 64 KiB on MySQL; chart photos and engine state need more.
Blob = LargeBinary().with_variant(_MySQLBlob(), "mysql", "mariadb")


def price_type() -> Numeric[float]:
    """NUMERIC(20, 8) for prices; read back as float."""
    return Numeric(20, 8, asdecimal=False)


def volume_type() -> Numeric[float]:
    """NUMERIC(28, 4) for volumes; read back as float."""
    return Numeric(28, 4, asdecimal=False)


def factor_type() -> Numeric[float]:
    """NUMERIC(24, 12) for adjustment factors; read back as float."""
    return Numeric(24, 12, asdecimal=False)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (microseconds kept: DATETIME(6) on MySQL); always returns aware UTC.

    Naive input is taken as UTC already; aware input is converted.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class StrList(TypeDecorator[tuple[str, ...]]):
    """A tuple of strings stored as ',a,b,' text, so `LIKE '%,a,%'` finds an element on every dialect."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Iterable[str] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        items = [str(v) for v in value]
        for item in items:
            if "," in item:
                raise ValueError(f"list element must not contain a comma: {item!r}")
        return f",{','.join(items)}," if items else ""

    def process_result_value(self, value: str | None, dialect: Dialect) -> tuple[str, ...]:
        return split_list(value) if value else ()


@functools.lru_cache(maxsize=4096)
def split_list(value: str) -> tuple[str, ...]:
    """',a,b,' -> ('a', 'b'); cached: the same few lists come back for thousands of rows."""
    return tuple(part for part in value.split(",") if part)


def list_pattern(item: str) -> str:
    """The LIKE pattern that finds `item` in a StrList column."""
    escaped = item.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%,{escaped},%"


class EncodedJSON(str):
    """Text `encode_json` made: JSONText stores it as it is (a batch encodes a shared value once)."""


_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def encode_json(value: Any) -> EncodedJSON:
    """Compact JSON, keys sorted, non-ASCII kept: orjson (a tenth of `json.dumps`'s time, bench/README.md
    stop 37), `json.dumps` where orjson would write something else (a non-finite float, which orjson
    writes as null) or nothing (an int past 64 bits, a lone surrogate). Floats may be spelled otherwise
    (0.00001 for 1e-05): they read back the same."""
    text = encode_floatless(value)
    if "null" in text and _non_finite(value):
        return _stdlib_json(value)
    return text


def encode_floatless(value: Any) -> EncodedJSON:
    """`encode_json` of a value that holds no float (texts, keyboards, recipient lists), without the
    look for a non-finite one that a null in the output would cost: the alert fan-out's encoder."""
    try:
        return EncodedJSON(orjson.dumps(value, option=_ORJSON).decode())
    except orjson.JSONEncodeError:
        return _stdlib_json(value)


def _stdlib_json(value: Any) -> EncodedJSON:
    return EncodedJSON(json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def _non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_non_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_non_finite(v) for v in value)
    return False


class JSONText(TypeDecorator[Any]):
    """JSON stored as text (portable; MariaDB's JSON is LONGTEXT anyway). Non-ASCII kept as is."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.MEDIUMTEXT())
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None or isinstance(value, EncodedJSON):
            return value
        return encode_json(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(value)
