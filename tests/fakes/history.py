"""A realistic daily history for tests that must not depend on ../shared/data: a stock-like path with
volatility clustering (GARCH(1,1)), fat tails, drift, a crash and recovery, quarterly dividends and a
2:1 split in the raw prices (Adj Close carries both), intraday ranges and volume that rises with
the size of the move. Deterministic for a seed; US business days without holidays."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from core.types import Bar, Interval


def business_days(start: date, n: int) -> list[date]:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def history(n: int = 3_000, seed: int = 10, start: date = date(2009, 1, 2)) -> list[dict[str, object]]:
    """Rows with Date, Open, High, Low, Close, Adj Close, Volume (raw prices, adjusted close)."""
    rng = np.random.default_rng(seed)
    var, omega, alpha, beta = 1.6e-4, 2e-6, 0.08, 0.90
    logp, rows = np.log(40.0), []
    days = business_days(start, n)
    split_at, factor = n // 2, 1.0
    adj_steps = np.ones(n)
    for i in range(n):
        shock = rng.standard_t(4) / np.sqrt(2.0)
        if n // 3 <= i < n // 3 + 15:  # a crash: two bad weeks
            shock -= 1.2
        r = 0.0003 + np.sqrt(var) * shock
        var = omega + alpha * (r * r) + beta * var
        prev = logp
        logp += r
        o = np.exp(prev + rng.normal(0, 0.25) * np.sqrt(var))
        c = np.exp(logp)
        span = abs(rng.normal(0, 1.0)) * np.sqrt(var) * max(o, c)
        h, lo = max(o, c) + span * rng.uniform(0.2, 1.0), min(o, c) - span * rng.uniform(0.2, 1.0)
        v = 1e6 * np.exp(rng.normal(0, 0.3)) * (1 + 20 * abs(r))
        rows.append({"o": o, "h": h, "l": lo, "c": c, "v": round(v)})
        if i % 63 == 62:
            adj_steps[: i + 1] *= 0.995  # a dividend: history before it adjusted down
    for i, row in enumerate(rows):
        raw_mult = 2.0 if i < split_at else 1.0  # before the split, raw prices were twice as high
        factor = adj_steps[i] / raw_mult
        out = {k: round(float(row[k]) * raw_mult, 2) for k in ("o", "h", "l", "c")}
        rows[i] = {
            "Date": days[i].isoformat(), "Open": out["o"], "High": out["h"], "Low": out["l"],
            "Close": out["c"], "Adj Close": round(out["c"] * factor, 4), "Volume": int(row["v"] / raw_mult),
        }  # fmt: skip
    return rows


def write_csv(rows: list[dict[str, object]], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def to_bars(symbol: str, rows: list[dict[str, object]]) -> list[Bar]:
    """The rows as Bars, the way the CSV import reads them (raw prices, factor = Adj Close / Close)."""
    out = []
    for r in rows:
        d = date.fromisoformat(str(r["Date"]))
        o, h, lo, c, v = (float(str(r[k])) for k in ("Open", "High", "Low", "Close", "Volume"))
        adj = str(r["Adj Close"])
        f = float(adj) / c if adj not in ("", "None") and c > 0 else float("nan")
        ts = datetime(d.year, d.month, d.day, tzinfo=UTC)
        out.append(Bar(symbol, Interval.D1, ts, o, h, lo, c, v, adj_factor=f))
    return out
