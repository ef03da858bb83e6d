"""The Korean stocks whose minute bars are collected besides the watched ones: about 100 of the largest
KOSPI and KOSDAQ companies, kept as data (`krx_universe.csv`: code, board KS|KQ, Korean name), largest
first. Edit the file to change the universe; the live updater reads it at start."""

from __future__ import annotations

import csv
import io
from importlib import resources

from core.types import Instrument, Market
from market.resolver import make_instrument


def krx_universe() -> list[Instrument]:
    """The universe in file order (largest first)."""
    text = resources.files("market").joinpath("krx_universe.csv").read_text("utf-8")
    out: list[Instrument] = []
    for row in csv.DictReader(io.StringIO(text)):
        code, board = row["code"].strip(), row["board"].strip()
        if len(code) != 6 or board not in ("KS", "KQ"):
            raise ValueError(f"krx_universe.csv: bad row {row}")
        out.append(make_instrument(f"{code}.{board}", Market.KRX, row["name"].strip()))
    return out
