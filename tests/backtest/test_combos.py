"""Signal combinations through the backtest CLI: a planted predictive pair is confirmed, noise is not."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from backtest.cli import run_command
from backtest.combos import benjamini_hochberg, t_sf
from core.combostudy import ComboStudy
from core.types import Bar, Interval, SignalType
from signals import compute_history
from signals.combos import Combo, ComboTracker, combo_mask
from tests.backtest.test_cli import Store, parse, run

SIGNALS = "golden_cross,death_cross,volume_spike,rsi_overbought,rsi_oversold"
PLANTED = "combo:golden_cross+volume_spike"


def _bars(symbol: str, close: np.ndarray, volume: np.ndarray) -> list[Bar]:
    t0 = datetime(2012, 1, 2, tzinfo=UTC)
    out = []
    prev = close[0]
    for i, (c, v) in enumerate(zip(close.tolist(), volume.tolist(), strict=True)):
        o = prev
        out.append(
            Bar(symbol, Interval.D1, t0 + timedelta(days=i), o, max(o, c) * 1.002, min(o, c) * 0.998, c, v)
        )
        prev = c
    return out


def _history(seed: int, *, plant: bool, n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """A random walk with random volume spikes; a spike also lands 2 bars before most golden crosses.

    With `plant`, every bar where golden cross + volume spike (within 5 bars) fires is followed by a
    rise of ~6% over the next 5 bars. Events are handled in time order and recomputed after every
    change, so each change depends only on bars up to the event that caused it.
    """
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.012, n)
    volume = rng.uniform(0.8e6, 1.2e6, n)
    volume[rng.random(n) < 0.02] *= 4.0
    done, decided = -1, set()
    for _ in range(500):
        close = 100.0 * np.exp(np.cumsum(steps))
        ev = compute_history(close[:, None], volume[:, None]).events
        gc = [
            int(t)
            for t in np.flatnonzero(ev[SignalType.GOLDEN_CROSS][:, 0])
            if t - 2 > done and t not in decided
        ]
        fired = np.flatnonzero(combo_mask(ev[SignalType.GOLDEN_CROSS], ev[SignalType.VOLUME_SPIKE], 5)[:, 0])
        combos = [int(t) for t in fired if done < t < n - 6] if plant else []
        if not gc and not combos:
            return close, volume
        if gc and (not combos or gc[0] <= combos[0]):
            decided.add(gc[0])
            if rng.random() < 0.7:
                volume[gc[0] - 2] = 4.5e6
            continue
        t = combos[0]
        steps[t + 1 : t + 6] = np.abs(steps[t + 1 : t + 6]) * 0.3 + 0.012
        done = t
    raise AssertionError("construction did not settle")


def _store(plant: bool, symbols: int = 60) -> Store:
    hist = {}
    for k in range(symbols):
        close, volume = _history(1000 + k, plant=plant)
        hist[f"S{k:02d}"] = _bars(f"S{k:02d}", close, volume)
    return Store(hist)


@pytest.fixture(scope="module")
def planted() -> Store:
    return _store(plant=True)


@pytest.fixture(scope="module")
def noise() -> Store:
    return _store(plant=False)


async def test_planted_pair_is_confirmed_and_noise_is_not(planted: Store, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code, text = await run(planted, *planted.histories, "--signals", SIGNALS, "--horizons", "5,20",
                           "--combinations", "--json", str(out))  # fmt: skip
    assert code == 0, text
    doc = json.loads((tmp_path / "r-combinations.json").read_text())
    assert doc["window"] == 5
    assert doc["tried"] == 12  # 6 pairs with a common direction x 2 horizons
    assert f"{doc['tried']} tried" in text
    assert set(doc["confirmed"]) == {PLANTED}
    rows = {(r["combo"], r["horizon"]): r for r in doc["rows"]}
    assert rows[(PLANTED, 5)]["confirmed"]
    assert rows[(PLANTED, 5)]["out_of_sample_count"] >= 10
    assert "confirmed" in text


async def test_the_study_is_saved_for_the_bot_and_the_live_engine(planted: Store, tmp_path: Path) -> None:
    saved: list[ComboStudy] = []

    async def save(study: ComboStudy) -> None:
        saved.append(study)

    out = tmp_path / "r.json"
    argv = (
        *planted.histories,
        "--signals",
        SIGNALS,
        "--horizons",
        "5,20",
        "--combinations",
        "--json",
        str(out),
    )
    console = Console(file=io.StringIO(), width=200, color_system=None)
    code = await run_command(parse(*argv), load_history=planted.load, save_ratings=planted.save,
                             console=console, save_combos=save)  # fmt: skip
    assert code == 0
    [study] = saved
    doc = json.loads((tmp_path / "r-combinations.json").read_text())
    assert (study.tried, study.window, study.symbols) == (doc["tried"], 5, len(planted.histories))
    assert study.names == [PLANTED]
    rating = study.rating(PLANTED)
    assert rating is not None
    row = next(r for r in doc["rows"] if r["combo"] == PLANTED and r["horizon"] == rating.horizon)
    best = min(r["out_of_sample_p_value"] for r in doc["rows"] if r["combo"] == PLANTED and r["confirmed"])
    assert (rating.count, rating.p_value, rating.excess) == (
        row["out_of_sample_count"], best, row["out_of_sample_excess"])  # fmt: skip
    assert ComboStudy.from_bytes(study.to_bytes()) == study


async def test_noise_only_confirms_nothing(noise: Store, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code, text = await run(noise, *noise.histories, "--signals", SIGNALS, "--horizons", "5,20",
                           "--combinations", "--json", str(out))  # fmt: skip
    assert code == 0, text
    doc = json.loads((tmp_path / "r-combinations.json").read_text())
    assert doc["confirmed"] == []
    assert doc["tried"] == 12
    assert "no combination confirmed out of sample (12 tried)" in text
    assert any(r["in_sample_count"] > 0 for r in doc["rows"])


async def test_window_must_not_be_negative(noise: Store) -> None:
    code, text = await run(noise, "S00", "--combinations", "--window", "-1")
    assert code == 2
    assert "--window" in text


def test_live_tracker_fires_on_the_same_bars_as_the_batch_rule(planted: Store) -> None:
    bars = planted.histories["S03"]
    close = np.array([b.close for b in bars])[:, None]
    volume = np.array([b.volume for b in bars])[:, None]
    ev = compute_history(close, volume).events
    combo = Combo.parse(PLANTED)
    batch = np.flatnonzero(combo_mask(ev[combo.first], ev[combo.second], 5)[:, 0]).tolist()
    tracker = ComboTracker((combo,), window=5)
    live = [t for t in range(len(bars)) if tracker.on_bar(s for s in SignalType if s in ev and ev[s][t, 0])]
    assert batch
    assert live == batch


def test_combo_names_and_directions() -> None:
    c = Combo.parse("combo:volume_spike+golden_cross")
    assert c.name == PLANTED
    assert c.direction == 1
    with pytest.raises(ValueError, match="opposite"):
        Combo.parse("golden_cross+death_cross")
    with pytest.raises(ValueError, match="unknown"):
        Combo.parse("golden_cross+moon_phase")


def test_benjamini_hochberg_and_t_tail() -> None:
    # classic example: p sorted, q=0.05, m=5 -> thresholds 0.01 0.02 0.03 0.04 0.05
    assert benjamini_hochberg([0.04, 0.005, 0.6, 0.019, 0.035], 0.05) == [True, True, False, True, True]
    assert benjamini_hochberg([0.02, 0.03], 0.01) == [False, False]
    for t, df, want in ((1.812461, 10, 0.05), (2.228139, 10, 0.025), (12.7062, 1, 0.025), (0.0, 5, 0.5)):
        assert t_sf(t, df) == pytest.approx(want, abs=1e-6)
    assert t_sf(-2.228139, 10) == pytest.approx(0.975, abs=1e-6)
