"""Bulk inserts bind each column value once per distinct value (`storage.repos.base.Binder`). On MySQL a
date-time is bound as the text PyMySQL writes for it, so the statement the server sees is the one it
saw when the driver formatted the datetime itself; elsewhere nothing changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pymysql.converters  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import mysql, sqlite

from storage.models import OutboxRow, SignalEventRow
from storage.repos.base import Binder, table_of

moments = st.datetimes(
    min_value=datetime(1971, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.none() | st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(moments)
def test_a_datetime_on_mysql_is_bound_as_the_literal_pymysql_would_write(moment: datetime) -> None:
    bind = Binder(table_of(SignalEventRow), mysql.dialect())
    naive = moment.replace(tzinfo=None)  # UTC, as UTCDateTime stores it
    text = bind("ts", moment)
    assert isinstance(text, str)
    assert pymysql.converters.escape_str(text) == pymysql.converters.escape_datetime(naive)


def test_an_aware_datetime_is_bound_in_utc_and_other_columns_are_untouched() -> None:
    bind = Binder(table_of(OutboxRow), mysql.dialect())
    seoul = datetime(2026, 12, 7, 9, 30, 0, 250, tzinfo=timezone(timedelta(hours=9)))
    assert bind("created_at", seoul) == "2026-12-07 00:30:00.000250"
    assert bind("not_before", None) is None
    assert bind("chat_id", 42) == 42
    assert bind("text", "종가 <b>1,234</b>") == "종가 <b>1,234</b>"


def test_sqlite_binds_datetimes_as_sqlalchemy_does() -> None:
    bind = Binder(table_of(SignalEventRow), sqlite.dialect())
    moment = datetime(2026, 12, 7, 21, 0, 5, tzinfo=UTC)
    table = table_of(SignalEventRow)
    process = table.c.ts.type.dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    assert process is not None
    assert bind("ts", moment) == process(moment)
