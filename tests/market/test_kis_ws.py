"""The KIS execution feed (H0STCNT0) against a WebSocket stand-in on loopback: approval key,
subscriptions up to the limit, the keep-alive echoed, executions built into 1-minute candles."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest

from core.types import Bar, Interval
from market.sources.kis_ws import CandleBuilder, Execution, KisExecutionFeed, parse_frame
from tests.fakes.fake_kis import APP_KEY, APP_SECRET, KST, FakeKis
from tests.fakes.fake_kis_ws import FakeKisWs, frame, record


def at(hh: int, mm: int, ss: int) -> datetime:
    return datetime(2026, 11, 23, hh, mm, ss, tzinfo=KST)


def test_a_frame_of_several_records_parses_and_garbage_is_refused() -> None:
    text = frame(
        record("005930", at(10, 0, 1), 71000, 10), record("000660", at(10, 0, 2), 190500, 3, halted=True)
    )
    a, b = parse_frame(text)
    assert (a.code, a.ts, a.price, a.volume, a.halted) == ("005930", at(10, 0, 1), 71000.0, 10.0, False)
    assert b.halted
    for bad in (
        "1|H0STCNT0|001|x",
        "0|H0STASP0|001|x",
        "0|H0STCNT0|002|" + "^".join(record("1", at(9, 0, 0), 1, 1)),
    ):
        with pytest.raises(ValueError):
            parse_frame(bad)
    with pytest.raises(ValueError):
        parse_frame(frame(record("005930", at(10, 0, 1), 0, 10)))  # no price


def test_candles_close_with_the_next_minute_or_when_flushed() -> None:
    b = CandleBuilder()
    assert b.add(Execution("005930", at(10, 0, 1), 100, 5)) == []
    assert b.add(Execution("005930", at(10, 0, 30), 103, 1)) == []
    assert b.add(Execution("005930", at(10, 0, 59), 99, 2)) == []
    [bar] = b.add(Execution("005930", at(10, 1, 0), 101, 4))
    assert (bar.symbol, bar.interval, bar.ts) == ("005930.KS", Interval.M1, at(10, 0, 0))
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (100, 103, 99, 99, 8)
    assert b.add(Execution("005930", at(10, 0, 59), 120, 1)) == []  # late: its minute is closed
    assert b.late == 1
    assert b.flush(at(10, 1, 59)) == []
    [quiet] = b.flush(at(10, 2, 0))
    assert (quiet.ts, quiet.close, quiet.volume) == (at(10, 1, 0), 101, 4)


async def test_the_feed_subscribes_echoes_keepalives_and_builds_candles() -> None:
    frames = [
        frame(record("005930", at(10, 0, 1), 71000, 10), record("000660", at(10, 0, 1), 190000, 2)),
        "garbage",
        frame(record("005930", at(10, 0, 40), 71200, 5)),
        frame(record("005930", at(10, 1, 2), 71100, 1)),
    ]
    got: list[Bar] = []
    last_frame_in = asyncio.Event()  # the 10:01 execution closes the 10:00 candle

    async def on_bars(bars: list[Bar]) -> None:
        got.extend(bars)
        last_frame_in.set()

    with FakeKis() as kis:
        async with FakeKisWs(frames, limit=2) as ws, httpx.AsyncClient() as http:
            feed = KisExecutionFeed(
                kis.url, ws.url, APP_KEY, APP_SECRET, http=http, on_bars=on_bars, max_subscriptions=3
            )
            stop = asyncio.Event()
            task = asyncio.create_task(feed.run(["005930", "000660", "035420", "051910"], stop))
            await asyncio.wait_for(last_frame_in.wait(), 10)
            stop.set()
            stats = await task
    assert ws.subscribed == ["005930", "000660"]
    assert ws.approval_keys == {"approval-1"}
    assert stats.subscribed == ["005930", "000660"]
    assert stats.refused["035420"] == "OPSP0008 MAX SUBSCRIBE OVER"
    assert "051910" in stats.refused  # over the configured limit: never asked
    assert ws.pongs == 1
    assert stats.executions == 4
    assert stats.malformed == 1
    by = {(b.symbol, b.ts): b for b in got}
    samsung = by[("005930.KS", at(10, 0, 0))]
    assert (samsung.open, samsung.high, samsung.close, samsung.volume) == (71000, 71200, 71200, 15)
    assert ("000660.KS", at(10, 0, 0)) in by  # flushed when the feed stopped
    assert ("005930.KS", at(10, 1, 0)) in by
