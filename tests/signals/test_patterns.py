"""Chart patterns: constructed paths with known patterns and near-misses, price-scale invariance,
no look-ahead (bar by bar and on every prefix), live equals batch, real-history cases."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from core.types import SignalEvent, SignalType
from signals import SignalConfig, SignalEngine, compute_history
from tests.signals.helpers import bars, stamps, walk
from tests.signals.test_real_data import DATA, load

S = SignalType
PATTERNS = (S.HEAD_AND_SHOULDERS, S.INVERSE_HEAD_AND_SHOULDERS, S.DOUBLE_TOP, S.DOUBLE_BOTTOM)
CFG = SignalConfig()


def path(*anchors: tuple[int, float]) -> np.ndarray:
    """Closes through (bar, price) anchors, geometric between them, with a small regular wiggle
    (so that the volatility is not zero on straight stretches)."""
    xs = [a[0] for a in anchors]
    logs = np.interp(np.arange(xs[-1] + 1), xs, np.log([a[1] for a in anchors]))
    wiggle = 0.0005 * np.where(np.arange(logs.size) % 2 == 0, 1.0, -1.0)
    return np.exp(logs + wiggle)


def found(close: np.ndarray, cfg: SignalConfig = CFG) -> list[SignalEvent]:
    res = compute_history(close, np.ones_like(close), cfg)
    return [e for e in res.to_events(["X"], stamps(close.size)) if e.signal in PATTERNS]


def bar_of(e: SignalEvent) -> int:
    return (e.ts - stamps(1)[0]).days


def first_close_below(close: np.ndarray, after: int, line: callable) -> int:  # type: ignore[valid-type]
    return next(t for t in range(after + 1, close.size) if close[t] < line(t))


HS = ((0, 95.0), (20, 110.0), (36, 102.0), (56, 118.0), (76, 102.5), (96, 110.5), (130, 90.0))


def test_head_and_shoulders_on_its_neckline_break_with_geometry() -> None:
    close = path(*HS)
    events = found(close)
    assert [e.signal for e in events] == [S.HEAD_AND_SHOULDERS]
    e = events[0]
    t1, t2 = (36, close[36]), (76, close[76])

    def neck(t: float) -> float:
        return t1[1] + (t2[1] - t1[1]) * (t - t1[0]) / (t2[0] - t1[0])

    want = first_close_below(close, 96, neck)
    assert bar_of(e) == want  # the first close through the neckline, not a bar earlier or later
    v = e.values
    assert [v[f"p{j}"] for j in range(1, 6)] == [close[20], close[36], close[56], close[76], close[96]]
    assert [round((v[f"p{j}_t"] - stamps(1)[0].timestamp()) / 86400) for j in range(1, 6)] == [
        20,
        36,
        56,
        76,
        96,
    ]
    assert v["neckline"] == pytest.approx(neck(want), rel=1e-12)
    assert v["neck_start"] == pytest.approx(neck(20), rel=1e-12)
    assert v["target"] == pytest.approx(neck(want) - (close[56] - neck(56)), rel=1e-12)
    assert e.strength == pytest.approx((v["target"] / close[want] - 1) * 100)


def test_inverse_head_and_shoulders_is_the_mirror() -> None:
    close = 10_000.0 / path(*HS)
    events = found(close)
    assert [e.signal for e in events] == [S.INVERSE_HEAD_AND_SHOULDERS]
    assert events[0].values["target"] > events[0].values["neckline"] > events[0].values["p3"]


def test_double_top_and_bottom() -> None:
    close = path((0, 100.0), (30, 120.0), (50, 105.0), (70, 120.3), (110, 95.0))
    events = found(close)
    assert [e.signal for e in events] == [S.DOUBLE_TOP]
    assert bar_of(events[0]) == first_close_below(close, 70, lambda t: close[50])
    v = events[0].values
    assert (v["p1"], v["p2"], v["p3"]) == (close[30], close[50], close[70])
    assert v["target"] == pytest.approx(close[50] - (max(close[30], close[70]) - close[50]))
    bottom = found(10_000.0 / close)
    assert [e.signal for e in bottom] == [S.DOUBLE_BOTTOM]
    assert bar_of(bottom[0]) == bar_of(events[0])


@pytest.mark.parametrize(
    "anchors",
    [
        # head and shoulders whose price turns back up above the neckline: never confirmed
        (*HS[:-1], (110, 104.0), (140, 125.0)),
        # right shoulder far higher than the left: not a head and shoulders, and too far below the
        # head for a double top
        (*HS[:5], (96, 116.0), (130, 90.0)),
        # two tops 6% apart: not a double top
        ((0, 100.0), (30, 120.0), (50, 105.0), (70, 113.0), (110, 95.0)),
        # a double top squeezed into 8 bars: below pattern_min_bars
        ((0, 100.0), (30, 120.0), (34, 112.0), (38, 120.1), (70, 95.0)),
        # a double top whose break comes after pattern_max_bars
        ((0, 100.0), (30, 120.0), (150, 105.0), (290, 120.2), (292, 112.0), (300, 110.0), (330, 90.0)),
    ],
    ids=["no-break", "uneven-shoulders", "uneven-tops", "too-narrow", "too-slow"],
)
def test_near_misses_do_not_match(anchors: tuple[tuple[int, float], ...]) -> None:
    assert found(path(*anchors)) == []


@pytest.mark.parametrize(
    ("anchors", "cfg", "want"),
    [
        (
            ((0, 100.0), (30, 120.0), (50, 105.0), (70, 113.0), (110, 95.0)),
            SignalConfig(pattern_tolerance=8.0),
            S.DOUBLE_TOP,
        ),
        (
            ((0, 100.0), (30, 120.0), (34, 112.0), (38, 120.1), (70, 95.0)),
            SignalConfig(pattern_min_bars=5),
            S.DOUBLE_TOP,
        ),
        (
            ((0, 100.0), (30, 120.0), (150, 105.0), (290, 120.2), (292, 112.0), (300, 110.0), (330, 90.0)),
            SignalConfig(pattern_max_bars=400),
            S.DOUBLE_TOP,
        ),
    ],
    ids=["uneven-tops", "too-narrow", "too-slow"],
)
def test_near_misses_match_once_the_setting_allows(
    anchors: tuple[tuple[int, float], ...], cfg: SignalConfig, want: SignalType
) -> None:
    """The near-misses above fail for the stated reason: relax that one setting and they match."""
    assert [e.signal for e in found(path(*anchors), cfg)] == [want]


@pytest.mark.parametrize("scale", [1e-4, 0.37, 1300.0, 2.5e6])
def test_price_scale_invariance(scale: float) -> None:
    close, _ = walk(3000, 5)
    base = found(close)
    assert len(base) >= 5
    scaled = found(close * scale)
    assert [(e.ts, e.signal) for e in scaled] == [(e.ts, e.signal) for e in base]
    for a, b in zip(scaled, base, strict=True):
        for key in ("p1", "p3", "neckline", "target"):
            assert a.values[key] == pytest.approx(b.values[key] * scale, rel=1e-9)


def test_no_look_ahead_on_every_prefix() -> None:
    """A pattern reported at bar t is reported, with the same geometry, by a batch run that ends
    at bar t, and by no run that ends before it."""
    close, _ = walk(700, 9)
    full = found(close)
    assert len(full) >= 2
    for m in range(30, close.size + 1):
        got = found(close[:m])
        assert got == [e for e in full if bar_of(e) < m], m


def test_bar_by_bar_live_equals_batch() -> None:
    close, volume = walk(2500, 13)
    ts = stamps(close.size)
    engine = SignalEngine()
    live: list[SignalEvent] = []
    for k, b in enumerate(bars("X", close, volume, ts)):
        got = [e for e in engine.on_bar(b) if e.signal in PATTERNS]
        assert all(e.ts == ts[k] for e in got)  # reported on the bar that confirms, never later
        live.extend(got)
        if k == 1200:
            engine = SignalEngine.load_state(engine.dump_state())
    batch = found(close)
    assert len(batch) >= 5
    assert live == batch


SPY = next(iter(sorted(DATA.glob("us_lean/lean_SPY_*.csv"))), None) if DATA.is_dir() else None

# Checked by eye on /chart renderings (candles, swing points, neckline, target) of SPY adjusted
# closes: the mid-2009 head and shoulders (which then failed: SPY rallied through its target
# area), the summer-2010 inverse head and shoulders and the August/September 2015 double bottom.
REAL_CASES = [
    (S.HEAD_AND_SHOULDERS, "2009-07-07",
     ["2009-05-08", "2009-05-15", "2009-06-12", "2009-06-22", "2009-06-29"], 71.09, 66.70),
    (S.INVERSE_HEAD_AND_SHOULDERS, "2010-09-20",
     ["2010-06-07", "2010-06-18", "2010-07-02", "2010-08-09", "2010-08-26"], 92.20, 100.15),
    (S.DOUBLE_BOTTOM, "2015-10-07", ["2015-08-25", "2015-09-16", "2015-09-28"], 179.12, 190.67),
]  # fmt: skip


@pytest.mark.skipif(SPY is None, reason="no real histories in ../shared/data")
@pytest.mark.parametrize(
    ("signal", "day", "swings", "neck", "target"), REAL_CASES, ids=[c[1] for c in REAL_CASES]
)
def test_real_spy_patterns(
    signal: SignalType, day: str, swings: list[str], neck: float, target: float
) -> None:
    assert SPY is not None
    close, _, ts = load(SPY)
    events = [e for e in found_on(close, ts) if e.signal is signal and e.ts.date().isoformat() == day]
    assert len(events) == 1
    v = events[0].values
    got = [datetime.fromtimestamp(v[f"p{j}_t"], UTC).date().isoformat() for j in range(1, len(swings) + 1)]
    assert got == swings
    assert v["neckline"] == pytest.approx(neck, abs=0.01)
    assert v["target"] == pytest.approx(target, abs=0.01)
    # and not a bar earlier: the history cut the day before does not hold it
    cut = next(k for k, t in enumerate(ts) if t.date().isoformat() == day)
    assert not [e for e in found_on(close[:cut], ts[:cut]) if e.signal is signal and e.ts >= ts[cut - 30]]


def found_on(close: np.ndarray, ts: list[datetime]) -> list[SignalEvent]:
    return [
        e for e in compute_history(close, np.ones_like(close)).to_events(["SPY"], ts) if e.signal in PATTERNS
    ]
