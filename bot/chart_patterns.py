"""Chart patterns on the /chart candles: the swing points joined, the neckline from the first swing
point to the confirming bar, and the measured-move target, in the pattern's marker colour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from core.labels import SIGNAL_MARKERS
from core.types import Bar, SignalEvent, SignalType

PATTERNS = frozenset(
    {
        SignalType.HEAD_AND_SHOULDERS,
        SignalType.INVERSE_HEAD_AND_SHOULDERS,
        SignalType.DOUBLE_TOP,
        SignalType.DOUBLE_BOTTOM,
    }
)
_TARGET = {"en": "target", "ko": "목표가"}


def draw_patterns(
    ax: Axes, shown: Sequence[Bar], ends: Any, events: Sequence[SignalEvent], lang: str
) -> None:
    """Geometry of every pattern event whose swing points are all on the chart (`ends[i]` is the last
    daily row of candle i, so weekly candles place points on their week)."""
    row = {b.ts.timestamp(): i for i, b in enumerate(shown)}
    candle_of = np.searchsorted(ends, np.arange(len(shown)))
    for e in events:
        if e.signal not in PATTERNS:
            continue
        v = e.values
        stamps = [v[f"p{j}_t"] for j in range(1, 6) if f"p{j}_t" in v]
        at = row.get(e.ts.timestamp())
        if at is None or not stamps or any(t not in row for t in stamps):
            continue
        xs = [int(candle_of[row[t]]) for t in stamps]
        ys = [v[f"p{j}"] for j in range(1, len(xs) + 1)]
        x_end = int(candle_of[at])
        color = SIGNAL_MARKERS[e.signal][1]
        ax.plot(xs, ys, color=color, linewidth=1.4, alpha=0.9, zorder=4)
        ax.scatter(xs, ys, color=color, s=18, zorder=4)
        ax.plot([xs[0], x_end], [v["neck_start"], v["neckline"]], color=color, linewidth=1.2, linestyle="--",
                zorder=4)  # fmt: skip
        span = max(3, (x_end - xs[0]) // 3)
        ax.plot([x_end, x_end + span], [v["target"], v["target"]], color=color, linewidth=1.2, linestyle=":",
                zorder=4)  # fmt: skip
        ax.annotate(f"{_TARGET.get(lang, 'target')} {v['target']:,.2f}", (x_end, v["target"]), fontsize=8,
                    color=color, xytext=(0, 3), textcoords="offset points", va="bottom")  # fmt: skip
        ax.update_datalim([(x_end + span, v["target"])])
