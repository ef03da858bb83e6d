"""The event study's median (quickselect) equals the sorted-array median to the last bit."""

from __future__ import annotations

import numpy as np

from backtest import _kernel


def test_median_by_selection_equals_the_sorted_median_exactly() -> None:
    rng = np.random.default_rng(7)
    for m in [*range(1, 41), 99, 100, 1001]:
        for rep in range(20):
            if rep % 3 == 0:
                x = rng.integers(0, 4, m).astype(np.float64)  # many ties
            elif rep % 3 == 1:
                x = np.sort(rng.normal(size=m))[:: 1 if rep % 2 else -1].copy()  # sorted, reversed
            else:
                x = rng.normal(0.0, 0.05, m)
            srt = np.sort(x)
            expected = 0.5 * (srt[(m - 1) // 2] + srt[m // 2])
            work = np.concatenate([x, [np.inf, -np.inf]])  # entries past m are not looked at
            assert _kernel._median(work, m) == expected
            np.testing.assert_array_equal(np.sort(work[:m]), srt)  # only reordered
