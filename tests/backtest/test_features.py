"""export-features: Parquet training data read back; targets marked as such; no feature sees the future."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from backtest.data import build_panel
from backtest.features import feature_frames
from backtest.features_cli import add_arguments, run_command
from core.errors import SymbolError
from core.types import PRICE_SIGNALS, Bar


async def export(histories: Mapping[str, Sequence[Bar]], *argv: str) -> tuple[int, str]:
    async def load(symbols: Sequence[str], years: int) -> Mapping[str, Sequence[Bar]]:
        for s in symbols:
            if s not in histories:
                raise SymbolError(s)
        return {s: histories[s] for s in symbols}

    parser = argparse.ArgumentParser(prog="finsignal export-features")
    add_arguments(parser)
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False, color_system=None)
    code = await run_command(parser.parse_args(list(argv)), load_history=load, console=console)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def goog_file(goog_bars: list[Bar], tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    out = tmp_path_factory.mktemp("features")
    code, text = asyncio.run(export({"GOOG": goog_bars}, "GOOG", "--out", str(out), "--horizons", "5,20"))
    assert code == 0, text
    assert f"wrote {out / 'GOOG.parquet'}" in text
    return out / "GOOG.parquet"


def test_file_marks_targets_and_features(goog_file: Path, goog_bars: list[Bar]) -> None:
    schema = pq.read_schema(goog_file)
    meta = json.loads(schema.metadata[b"finsignal"])
    roles = {f.name: f.metadata[b"role"].decode() for f in schema}
    assert meta["targets"] == ["target_return_5", "target_return_20"]
    assert all(roles[t] == "target" for t in meta["targets"])
    assert not any(c.startswith("target_") for c in meta["features"])
    assert {f"signal_{s.value}" for s in PRICE_SIGNALS} <= set(meta["features"])  # flows: only with flows
    assert {"sma_fast", "sma_slow", "rsi", "vol_avg", "close"} <= set(meta["features"])
    assert meta["horizons"] == [5, 20]
    frame = pq.read_table(goog_file).to_pandas()
    assert len(frame) == len(goog_bars)
    assert str(frame["ts"].dt.tz) == "UTC"
    # target = close[t+h] / open[t+1] - 1, NaN at the end
    o, c = frame["open"].to_numpy(), frame["close"].to_numpy()
    t = 300
    assert frame["target_return_20"][t] == pytest.approx(c[t + 20] / o[t + 1] - 1.0, rel=1e-12)
    assert frame["target_return_20"].iloc[-20:].isna().all()
    assert frame["target_return_20"].iloc[:-20].notna().all()
    assert frame["signal_golden_cross"].sum() > 0


def test_no_feature_uses_future_bars(goog_file: Path, goog_bars: list[Bar]) -> None:
    """Features of bar t from the full file equal those computed from bars up to t only."""
    full = pq.read_table(goog_file).to_pandas()
    features = json.loads(pq.read_schema(goog_file).metadata[b"finsignal"])["features"]
    for t in (250, 700, 1500, len(goog_bars) - 30):
        cut = feature_frames(build_panel({"GOOG": goog_bars[: t + 1]}), horizons=(5, 20))["GOOG"]
        assert len(cut) == t + 1
        for col in features:
            want, got = cut[col].iloc[t], full[col].iloc[t]
            if isinstance(want, float) and np.isnan(want):
                assert np.isnan(got), (col, t)
            else:
                assert got == pytest.approx(want, rel=1e-12), (col, t)
        # and a target, by contrast, cannot be known at t
        assert np.isnan(cut["target_return_5"].iloc[t])
        assert not np.isnan(full["target_return_5"].iloc[t])


async def test_bad_input(goog_bars: list[Bar], tmp_path: Path) -> None:
    code, text = await export({"GOOG": goog_bars}, "GOOG", "--out", str(tmp_path / "nope"))
    assert code == 2
    assert "does not exist" in text
    code, text = await export({"GOOG": goog_bars}, "GOOG", "--out", str(tmp_path), "--horizons", "x")
    assert code == 2
    assert "--horizons" in text
    assert not list(tmp_path.glob("*.parquet"))  # noqa: ASYNC240
