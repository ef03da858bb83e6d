"""The one rule for bad bars, used by every path (CSV import, sources, API, backtest panel, engine warm-up).

Pure and vectorised; it lives in `core` because `market`, `signals` and `backtest` all apply it.
For one symbol's daily bars, in this order:

1. **Duplicates** (equal timestamps): identical copies collapse to one. Copies that differ keep the
   one whose adjusted close is nearest (in log terms) the median close of the two bars before and
   the two after (those that exist; the first copy given on a tie). The others are dropped and counted.
2. **Invalid prices**: a negative close whose magnitude lies within the bar's own low..high is a
   sign slip and is restored (repaired); any other close that is missing, not finite or <= 0
   holds the bar out (counted).
   A missing or non-positive open/high/low next to a good close is set to the close (repaired);
   a negative or missing volume becomes 0 (repaired).
3. **Adjustment factors** that are missing, not finite or <= 0 are carried from the previous valid
   one (the next one at the start; 1.0 if none is valid) and flagged.
4. **Inconsistent OHLC** (high/low not bounding open/close) is repaired by widening high and low to
   bound open and close, and flagged; the bar is kept.
5. **Outliers**: a bar whose adjusted close is a power of ten (10, 100, 1000; within ~12%) off its
   neighbours, which agree with each other, is a units slip: its prices are divided back (repaired).
   Otherwise a bar whose adjusted close moves more than max(`outlier_sigmas` x the recent
   volatility, `outlier_floor`) in log terms and reverts at once (the next move takes back at least
   `revert_share` of it) is held out of indicators and returns, and counted. The last bar, with no
   next one to confirm, is held out only for a move beyond `outlier_extreme` (a factor of 5); the
   first bar likewise when the move into the second is that large. Recent volatility is the
   median absolute daily log move of the `vol_window` bars before (/ 0.6745, a robust sigma).
   An open, high or low alone more than `outlier_extreme` (in log terms) from both the previous
   close and the bar's own close is set back into the bar's range (repaired, counted as such).
6. **Gaps**: two consecutive kept bars more than `max_gap_days` calendar days apart are listed;
   indicators restart their warm-up after them and forward windows do not span them.

Flags written on repaired bars: 'ohlc_repaired', 'adj_factor_filled', 'price_repaired',
'outlier_repaired'; held-out bars carry 'outlier' or 'invalid_price' in `Cleaned.held_out`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.settings import Settings
from core.types import Bar

Arr = NDArray[Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_US = 86_400_000_000


@dataclass(frozen=True, slots=True)
class QualityRules:
    """Thresholds of the rule (see the module docstring)."""

    outlier_sigmas: float = 6.0
    outlier_floor: float = 0.25
    outlier_extreme: float = math.log(5.0)
    revert_share: float = 0.75
    vol_window: int = 60
    max_gap_days: int = 45


def quality_rules(settings: Settings) -> QualityRules:
    """The rule's thresholds from settings (FINSIGNAL_MAX_GAP_DAYS); one place for every path."""
    return QualityRules(max_gap_days=settings.max_gap_days)


@dataclass(slots=True)
class QualityReport:
    """What the rule changed or held out for one symbol, with counts (all zero for clean data)."""

    symbol: str
    bars_in: int = 0
    duplicates: int = 0
    invalid: int = 0
    outliers: int = 0
    ohlc_repaired: int = 0
    factor_filled: int = 0
    price_repaired: int = 0
    outlier_repaired: int = 0
    second_source: int = 0  # outliers replaced by another source's bar (market pipeline)
    gaps: list[tuple[datetime, datetime]] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # "2020-03-02: outlier held out", first 20

    @property
    def excluded(self) -> int:
        return self.duplicates + self.invalid + self.outliers

    @property
    def repaired(self) -> int:
        return (self.ohlc_repaired + self.factor_filled + self.price_repaired + self.outlier_repaired
                + self.second_source)  # fmt: skip

    def note(self, ts: datetime | int, what: str) -> None:
        if len(self.details) < 20:
            day = ts if isinstance(ts, datetime) else _EPOCH + timedelta(microseconds=int(ts))
            self.details.append(f"{day.date().isoformat()}: {what}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol, "bars_in": self.bars_in, "excluded": self.excluded,
            "repaired": self.repaired, "duplicates": self.duplicates, "invalid": self.invalid,
            "outliers": self.outliers, "ohlc_repaired": self.ohlc_repaired,
            "factor_filled": self.factor_filled, "price_repaired": self.price_repaired,
            "outlier_repaired": self.outlier_repaired, "second_source": self.second_source,
            "gaps": [[a.date().isoformat(), b.date().isoformat()] for a, b in self.gaps],
            "details": list(self.details),
        }  # fmt: skip

    def summary(self) -> str:
        """One line for people, e.g. '2 repaired (2 OHLC), 1 held out (1 outlier), 1 gap'."""
        parts = []
        if self.repaired:
            kinds = [(self.ohlc_repaired, "OHLC"), (self.factor_filled, "adj. factor"),
                     (self.price_repaired, "price"), (self.outlier_repaired, "outlier"),
                     (self.second_source, "from a second source")]  # fmt: skip
            parts.append(f"{self.repaired} repaired ({', '.join(f'{n} {k}' for n, k in kinds if n)})")
        if self.excluded:
            kinds = [(self.duplicates, "duplicate"), (self.invalid, "invalid"), (self.outliers, "outlier")]
            parts.append(f"{self.excluded} held out ({', '.join(f'{n} {k}' for n, k in kinds if n)})")
        if self.gaps:
            spans = ", ".join(f"{a.date()}..{b.date()}" for a, b in self.gaps[:3])
            parts.append(f"{len(self.gaps)} gap{'s' if len(self.gaps) > 1 else ''} ({spans})")
        return "; ".join(parts) if parts else "clean"


@dataclass(frozen=True, eq=False)
class CleanArrays:
    """Arrays of the kept bars (sorted, unique timestamps): ts in us, o/h/l/c raw, v, f (factor)."""

    index: Arr  # positions of the kept bars in the input
    ts: Arr
    values: Arr  # (n, 6): open, high, low, close, volume, adj_factor, repaired
    flags: list[str]  # per kept bar, '' when unchanged
    held_out: list[tuple[int, str]]  # (input position, reason)
    report: QualityReport
    gap_rows: tuple[int, ...]  # rows (in the kept arrays) that start after a long gap


@dataclass(frozen=True, eq=False)
class Cleaned:
    """Bars after the rule: `bars` to use (oldest first), `held_out` with reasons, the report."""

    bars: list[Bar]
    held_out: list[tuple[Bar, str]]
    report: QualityReport
    gap_rows: tuple[int, ...]


def _at(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _valid(x: Arr) -> Arr:
    with np.errstate(invalid="ignore"):
        return np.isfinite(x) & (x > 0)


def _dedupe(us: Arr, vals: Arr, order: Arr, rep: QualityReport) -> Arr:
    """Positions (into the sorted arrays) kept after collapsing equal timestamps."""
    if us.size == 0:
        return np.arange(0)
    new = np.ones(us.size, dtype=bool)
    new[1:] = us[1:] != us[:-1]
    starts = np.flatnonzero(new)
    if starts.size == us.size:
        return starts
    ends = np.append(starts[1:], us.size)
    f = np.where(_valid(vals[:, 5]), vals[:, 5], 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = np.log(np.where(_valid(vals[:, 3]), vals[:, 3] * f, np.nan))
    keep = starts.copy()
    for g in np.flatnonzero(ends - starts > 1):
        lo, hi = int(starts[g]), int(ends[g])
        copies = range(lo, hi)
        rep.duplicates += hi - lo - 1
        same = all(np.array_equal(vals[k], vals[lo], equal_nan=True) for k in copies)
        if same:
            rep.note(int(us[lo]), f"{hi - lo - 1} identical duplicate(s) dropped")
            continue
        around = [adj[keep[g - b]] for b in (1, 2) if g - b >= 0]
        around += [adj[starts[g + a]] for a in (1, 2) if g + a < starts.size]
        known = [x for x in around if np.isfinite(x)]
        ref = float(np.median(known)) if known else np.nan
        if not np.isfinite(ref):
            best = min(copies, key=lambda k: int(order[k]))
        else:
            best = min(copies, key=lambda k: (abs(adj[k] - ref) if np.isfinite(adj[k]) else np.inf,
                                               int(order[k])))  # fmt: skip
        keep[g] = best
        rep.note(int(us[lo]), f"{hi - lo - 1} differing duplicate(s) dropped")
    return keep


def _fill_factor(f: Arr) -> Arr:
    good = _valid(f)
    if good.all():
        return f
    if not good.any():
        return np.ones_like(f)
    idx = np.where(good, np.arange(f.size), -1)
    np.maximum.accumulate(idx, out=idx)
    first = int(np.argmax(good))
    idx[idx < 0] = first
    filled: Arr = f[idx]
    return filled


def _outliers(adj: Arr, rules: QualityRules) -> Arr:
    """Boolean mask of held-out bars by the close rule (see module docstring, step 5)."""
    n = adj.size
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    r = np.diff(np.log(adj))
    a = np.abs(r)
    # candidates: bar i (1..n-2) with move r[i-1] in and r[i] out
    cand = np.flatnonzero(a[:-1] > rules.outlier_floor) + 1 if n > 2 else np.arange(0)
    for i in cand.tolist():
        into, back = r[i - 1], r[i]
        share = rules.revert_share
        if np.sign(back) != -np.sign(into) or abs(back) < share * abs(into):
            continue
        past = a[max(0, i - 1 - rules.vol_window) : i - 1]
        sigma = float(np.median(past)) / 0.6745 if past.size >= 10 else 0.0
        if abs(into) > max(rules.outlier_sigmas * sigma, rules.outlier_floor):
            out[i] = True
    if a[-1] > rules.outlier_extreme and not out[n - 2]:
        out[n - 1] = True
    if a[0] > rules.outlier_extreme and (n < 3 or a[1] <= rules.outlier_floor):
        out[0] = True
    return out


def _sign_slips(v: Arr) -> Arr:
    """Bars whose close is negative but whose magnitude lies within their own valid low..high: the
    sign is restored in place (a sign slip, not a price)."""
    neg = v[:, 3] < 0
    if not neg.any():
        return neg
    with np.errstate(invalid="ignore"):
        mask = neg & _valid(v[:, 1]) & _valid(v[:, 2]) & (-v[:, 3] >= v[:, 2]) & (-v[:, 3] <= v[:, 1])
    v[mask, 3] = -v[mask, 3]
    return mask


def _decimal_slips(adj: Arr) -> list[tuple[int, int]]:
    """(row, power) of bars whose adjusted close is 10^power (|power| 1..3, within ~12%) off the
    neighbours on both sides (the one side at either end), while the neighbours agree: a units slip."""
    n = adj.size
    if n < 2:
        return []
    lg = np.log10(adj)
    jump = np.abs(np.diff(lg)) > 0.9
    cand = np.unique(np.concatenate([np.flatnonzero(jump), np.flatnonzero(jump) + 1]))
    out = []
    for i in cand.tolist():
        sides = [lg[j] for j in (i - 1, i + 1) if 0 <= j < n]
        if len(sides) == 1:  # at an end: the one neighbour must agree with its own neighbour
            far = i - 2 if i == n - 1 else i + 2
            if not 0 <= far < n:
                continue
            sides.append(lg[far])
        if abs(sides[0] - sides[1]) > 0.05:
            continue
        r = lg[i] - float(np.mean(sides))
        power = round(r)
        if 1 <= abs(power) <= 3 and abs(r - power) < 0.05:
            out.append((i, power))
    return out


def _fmt(flags: list[str], k: int, flag: str) -> None:
    if flag not in flags[k].split(","):
        flags[k] = f"{flags[k]},{flag}" if flags[k] else flag


def clean_arrays(
    symbol: str, us: Arr, values: Arr, rules: QualityRules = QualityRules(), *, fixed: Arr | None = None
) -> CleanArrays:
    """The rule on arrays: `us` int64 timestamps (any order), `values` (n, 6) open, high, low, close,
    volume, adj_factor. `fixed` marks bars not to test as outliers (e.g. confirmed by a second source)."""
    rep = QualityReport(symbol, bars_in=int(us.size))
    idx: Arr
    if us.size < 2 or bool(np.all(us[1:] > us[:-1])):  # the usual case: sorted, no duplicates
        idx, t, v = np.arange(us.size), us, np.array(values, dtype=np.float64)
    else:
        order = np.argsort(us, kind="stable")
        s_us, s_vals = us[order], values[order].astype(np.float64, copy=True)
        keep = _dedupe(s_us, s_vals, order, rep)
        idx, t, v = order[keep], s_us[keep], s_vals[keep]
    flags = [""] * idx.size
    held: list[tuple[int, str]] = []
    slipped = _sign_slips(v)
    good_close = _valid(v[:, 3])
    for k in np.flatnonzero(~good_close).tolist():
        held.append((int(idx[k]), "invalid_price"))
        rep.invalid += 1
        rep.note(int(t[k]), f"close {float(v[k, 3])} invalid, held out")
    if not good_close.all():
        idx, t, v, slipped = idx[good_close], t[good_close], v[good_close], slipped[good_close]
    flags = [""] * idx.size
    for k in np.flatnonzero(slipped).tolist():
        _fmt(flags, k, "price_repaired")
        rep.price_repaired += 1
        rep.note(int(t[k]), "negative close within the bar's own range: sign restored")
    for col in (0, 1, 2):
        bad = ~_valid(v[:, col])
        for k in np.flatnonzero(bad).tolist():
            v[k, col] = v[k, 3]
            _fmt(flags, k, "price_repaired")
            rep.price_repaired += 1
    with np.errstate(invalid="ignore"):
        bad_vol = ~(np.isfinite(v[:, 4]) & (v[:, 4] >= 0))
    for k in np.flatnonzero(bad_vol).tolist():
        v[k, 4] = 0.0
        _fmt(flags, k, "price_repaired")
        rep.price_repaired += 1
    bad_f = ~_valid(v[:, 5])
    if bad_f.any():
        v[:, 5] = _fill_factor(v[:, 5])
        for k in np.flatnonzero(bad_f).tolist():
            _fmt(flags, k, "adj_factor_filled")
            rep.factor_filled += 1
            rep.note(int(t[k]), "missing adjustment factor carried from a neighbour")
    adj = v[:, 3] * v[:, 5]
    for k, power in _decimal_slips(adj):
        # divide back the fields that are off by the same power (an open may be right, a close not)
        slip = np.abs(np.log10(v[k, :4] / v[k, 3])) < 0.5  # on the slipped close's scale
        v[k, :4] = np.where(slip, v[k, :4] / 10.0**power, v[k, :4])
        adj[k] = v[k, 3] * v[k, 5]
        _fmt(flags, k, "outlier_repaired")
        rep.outlier_repaired += 1
        rep.note(int(t[k]), f"prices 10^{power} off their neighbours: decimal slip repaired")
    out = _outliers(adj, rules)
    if fixed is not None:
        out &= ~fixed[idx]
    for k in np.flatnonzero(out).tolist():
        held.append((int(idx[k]), "outlier"))
        rep.outliers += 1
        rep.note(int(t[k]), f"outlier held out (close {v[k, 3]:g})")
    if out.any():
        keep_o = ~out
        idx, t, v = idx[keep_o], t[keep_o], v[keep_o]
        flags = [f for f, k in zip(flags, keep_o.tolist(), strict=True) if k]
    _field_outliers(v, flags, rules, rep, t)
    lo_oc, hi_oc = np.minimum(v[:, 0], v[:, 3]), np.maximum(v[:, 0], v[:, 3])
    bad_hl = (v[:, 1] < hi_oc) | (v[:, 2] > lo_oc)
    for k in np.flatnonzero(bad_hl).tolist():
        v[k, 1] = max(v[k, 1], hi_oc[k])
        v[k, 2] = min(v[k, 2], lo_oc[k])
        _fmt(flags, k, "ohlc_repaired")
        rep.ohlc_repaired += 1
        rep.note(int(t[k]), "high/low widened to bound open/close")
    gap_rows: tuple[int, ...] = ()
    if t.size > 1:
        g = np.flatnonzero(np.diff(t) > rules.max_gap_days * _DAY_US) + 1
        gap_rows = tuple(int(x) for x in g)
        rep.gaps = [(_at(int(t[k - 1])), _at(int(t[k]))) for k in gap_rows]
    held.sort()
    return CleanArrays(idx, t, v, flags, held, rep, gap_rows)


def _field_outliers(v: Arr, flags: list[str], rules: QualityRules, rep: QualityReport, t: Arr) -> None:
    """Open/high/low implausible against both the previous close and the own close -> into range."""
    if v.shape[0] < 2:
        return
    prev = np.concatenate(([v[0, 3]], v[:-1, 3]))
    big = math.exp(rules.outlier_extreme)
    lo_c, hi_c = np.minimum(v[:, 3], prev) / big, np.maximum(v[:, 3], prev) * big
    with np.errstate(invalid="ignore"):
        for col in (0, 1, 2):
            far = (v[:, col] > hi_c) | (v[:, col] < lo_c)  # beyond a factor `big` of both closes
            for k in np.flatnonzero(far).tolist():
                v[k, col] = (
                    v[k, 3] if col == 0 else (max(v[k, 0], v[k, 3]) if col == 1 else min(v[k, 0], v[k, 3]))
                )
                _fmt(flags, k, "outlier_repaired")
                rep.outlier_repaired += 1
                rep.note(int(t[k]), f"implausible {('open', 'high', 'low')[col]} set back into range")


_FIELDS = ("open", "high", "low", "close", "volume", "adj_factor")


def bar_arrays(bars: Sequence[Bar]) -> tuple[Arr, Arr]:
    """(timestamps in us, values (n, 6)) of bars; raises ValueError for a naive timestamp."""
    stamps = []
    for b in bars:
        if b.ts.tzinfo is None:
            raise ValueError(
                f"{b.symbol}: bar timestamp {b.ts.isoformat()} is naive; bars carry aware UTC times"
            )
        stamps.append(b.ts.timestamp())
    us = np.round(np.array(stamps, dtype=np.float64) * 1e6).astype(np.int64)
    values = np.array([[getattr(b, f) for f in _FIELDS] for b in bars], dtype=np.float64).reshape(-1, 6)
    return us, values


def clean_bars(bars: Sequence[Bar], rules: QualityRules = QualityRules(), *, symbol: str = "") -> Cleaned:
    """The rule on Bar objects of one symbol (see the module docstring)."""
    sym = symbol or (bars[0].symbol if bars else "")
    us, values = bar_arrays(bars)
    res = clean_arrays(sym, us, values, rules)
    out: list[Bar] = []
    for k, i in enumerate(res.index.tolist()):
        b = bars[i]
        if res.flags[k]:
            o, h, lo, c, v, f = (float(x) for x in res.values[k])
            flags = ",".join(x for x in (b.flags, res.flags[k]) if x)
            b = replace(b, open=o, high=h, low=lo, close=c, volume=v, adj_factor=f, flags=flags)
        out.append(b)
    held = [(bars[i], why) for i, why in res.held_out]
    return Cleaned(out, held, res.report, res.gap_rows)
