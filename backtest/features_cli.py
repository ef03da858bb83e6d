"""The command `finsignal export-features SYMBOL... --out DIR`: Parquet training data, one file per symbol.

Each file holds one row per bar (see backtest.features and backtest/README.md "Training data"); every
field carries its role in the Parquet field metadata (b'role': key, price, indicator, signal,
target) and the file carries JSON under b'finsignal' listing features and targets.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console

from backtest.cli import LoadHistory, _horizons
from backtest.data import build_panel
from backtest.features import METADATA_KEY, feature_frames, roles, schema_metadata
from core.errors import FinsignalError, UsageError
from core.quality import QualityRules
from core.types import Bar
from signals import SignalConfig

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("symbols", nargs="+", metavar="SYMBOL", help="instruments, e.g. SPY 005930.KS")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="directory for SYMBOL.parquet files"
    )
    parser.add_argument("--years", type=int, default=10, help="years of history (default 10)")
    parser.add_argument(
        "--horizons", default="5,20,60", help="forward-return targets in trading bars (default 5,20,60)"
    )


def file_name(symbol: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", symbol) + ".parquet"


def write_parquet(frame: pd.DataFrame, path: Path, metadata: bytes) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    r = roles(frame)
    fields = [f.with_metadata({b"role": r[f.name].encode()}) for f in table.schema]
    schema = pa.schema(fields, metadata={**(table.schema.metadata or {}), METADATA_KEY: metadata})
    pq.write_table(table.cast(schema), path)


async def run_command(
    args: argparse.Namespace,
    *,
    load_history: LoadHistory,
    console: Console,
    config: SignalConfig | None = None,
    quality: QualityRules | None = None,
) -> int:
    """Exit status: 0 ok, 2 usage errors (unknown symbol, bad option, missing directory), 1 failures."""
    try:
        return await _run(args, load_history, console, config or SignalConfig(), quality or QualityRules())
    except UsageError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except FinsignalError as exc:
        console.print(f"[red]failed:[/] {exc}")
        logger.warning("export-features failed: %s", exc)
        return 1


async def _run(
    args: argparse.Namespace, load_history: LoadHistory, console: Console, config: SignalConfig,
    quality: QualityRules,
) -> int:  # fmt: skip
    horizons = _horizons(args.horizons)
    if args.years < 1:
        raise UsageError(f"--years must be at least 1, got {args.years}")
    out: Path = args.out
    if not await asyncio.to_thread(out.is_dir):
        raise UsageError(f"--out: directory {out} does not exist")
    symbols = list(dict.fromkeys(s.strip() for s in args.symbols if s.strip()))
    history: Mapping[str, Sequence[Bar]] = await load_history(symbols, args.years)
    bars = {s: b for s, b in history.items() if b}
    for s in symbols:
        if s not in history or not history[s]:
            console.print(f"[yellow]skipped:[/] {s}: no bars in the requested period")
    if not bars:
        raise UsageError("no symbol has bars to export")
    invalid: dict[str, str] = {}
    panel = await asyncio.to_thread(build_panel, bars, invalid=invalid, rules=quality)
    for msg in invalid.values():
        console.print(f"[yellow]skipped:[/] {msg}")
    frames = await asyncio.to_thread(feature_frames, panel, config=config, horizons=horizons)
    code = 0
    for sym, frame in frames.items():
        path = out / file_name(sym)
        try:
            await asyncio.to_thread(write_parquet, frame, path, schema_metadata(frame, config, horizons))
        except OSError as exc:
            console.print(f"[red]failed:[/] cannot write {path}: {exc.strerror or exc}")
            code = 1
            continue
        console.print(f"wrote {path} ({len(frame)} bars, {frame.shape[1]} columns)")
    return code
