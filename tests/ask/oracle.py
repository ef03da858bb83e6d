"""Expected answers of the labelled questions, computed in plain Python from the fixture data
(independently of the interpreter's SQL), and `check`, which says what is wrong with an answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from statistics import fmean
from typing import Any

from ask.service import Answer
from core.types import Bar
from news.taxonomy import default_taxonomy
from tests.ask import fixture_data as F
from tests.ask.labelled import Label

BARS: dict[str, list[Bar]] = {s: F.bars(s) for s in F.SYMBOLS}
EVENTS = F.events(BARS)
RATINGS = F.ratings()
NEWS = F.news()
FLOWS = F.flows()


def front_kau() -> str:
    best = max((BARS[s][-1].ts, BARS[s][-1].volume, s) for s in F.SYMBOLS if s.startswith("KAU"))
    return best[2]


def symbols_of(label: Label) -> list[str]:
    if label.symbols == "W":
        return list(F.WATCHLIST)
    if label.symbols == "KAU*":
        return [front_kau()]
    return [s for s in label.symbols.split(",") if s]


def _span(label: Label) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(label.start).replace(tzinfo=UTC)
    end = datetime.fromisoformat(label.end).replace(tzinfo=UTC) + timedelta(days=1)
    return start, end


def _bars(symbol: str, label: Label) -> list[Bar]:
    start, end = _span(label)
    return [b for b in BARS[symbol] if start <= b.ts < end]


def _pct(bars: list[Bar]) -> float:
    return round((bars[-1].close / bars[0].close - 1) * 100, 2)


def _close(a: Any, b: float, tol: float = 0.011) -> bool:
    return isinstance(a, int | float) and abs(float(a) - b) <= tol * max(1.0, abs(b) / 100)


def _day(ts: object) -> date | None:
    return ts.date() if isinstance(ts, datetime) else None


def check(label: Label, answer: Answer) -> str | None:
    """None when the answer is right; otherwise what is wrong, in a few words."""
    if label.shape == "refuse":
        return None if not answer.ok and not answer.sql else f"answered: {answer.text[:60]}"
    if not answer.ok:
        return f"not answered: {answer.text[:80]}"
    if answer.shape != label.shape:
        return f"shape {answer.shape}"
    plan = answer.plan
    assert plan is not None
    if label.start and (
        plan.period is None
        or (plan.period.start.isoformat(), plan.period.end.isoformat())
        != (
            label.start,
            label.end,
        )
    ):
        return f"period {plan.period}"
    expected = symbols_of(label)
    if set(plan.symbols) != set(expected):
        return f"symbols {plan.symbols}"
    return _CHECKS[label.shape](label, answer, expected)


def _history(label: Label, answer: Answer, symbols: list[str]) -> str | None:
    want = [(b.ts.date(), b.close) for b in _bars(symbols[0], label)]
    got = [(_day(r[0]), r[1]) for r in answer.rows]
    if len(got) != len(want):
        return f"{len(got)} rows, expected {len(want)}"
    bad = [g for g, w in zip(got, want, strict=True) if g[0] != w[0] or not _close(g[1], w[1], 1e-6)]
    return f"values differ at {bad[0]}" if bad else None


def _extreme(label: Label, answer: Answer, symbols: list[str]) -> str | None:
    column = label.options
    bars = _bars(symbols[0], label)
    values = [(getattr(b, column), b.ts.date()) for b in bars]
    best = max(values, key=lambda v: (v[0], -v[1].toordinal())) if label.shape == "max" else min(values)
    row = answer.rows[0]
    if _day(row[0]) != best[1] or not _close(row[1], best[0], 1e-6):
        return f"got {row[:2]}, expected {best}"
    return None


def _avg(label: Label, answer: Answer, symbols: list[str]) -> str | None:
    bars = _bars(symbols[0], label)
    want = round(fmean(b.close for b in bars), 4)
    row = answer.rows[0]
    return None if _close(row[0], want, 1e-4) and row[1] == len(bars) else f"got {row}, expected {want}"


def _change(label: Label, answer: Answer, symbols: list[str]) -> str | None:
    want = _pct(_bars(symbols[0], label))
    return None if _close(answer.rows[0][4], want) else f"got {answer.rows[0][4]}, expected {want}"


def _compare(label: Label, answer: Answer, symbols: list[str]) -> str | None:
    from ask.answer import changes_by_symbol

    got = changes_by_symbol(answer.rows)
    want = {s: _pct(_bars(s, label)) for s in symbols if _bars(s, label)}
    if set(got) != set(want) or any(not _close(got[s], want[s]) for s in want):
        return f"got {got}, expected {want}"
    return None


def _top(label: Label, answer: Answer, symbols: list[str]) -> str | None:
    metric, direction, n = label.options.split()
    scope = symbols or list(F.SYMBOLS)
    figures: dict[str, float] = {}
    for s in scope:
        bars = _bars(s, label)
        if bars:
            figures[s] = sum(b.volume for b in bars) if metric == "volume" else _pct(bars)
    sign = -1 if direction == "desc" else 1
    want = sorted(figures, key=lambda s: (sign * figures[s], s))[: int(n)]
    got = [r[0] for r in answer.rows]
    column = 1 if metric == "volume" else 3
    if got != want or any(not _close(r[column], figures[str(r[0])]) for r in answer.rows):
        return f"got {got}, expected {want}"
    return None


def _signals(label: Label, answer: Answer, symbols: list[str]) -> str | None:
    start, end = _span(label)
    want = {
        (e.ts.date(), e.symbol, e.signal.value)
        for e in EVENTS
        if start <= e.ts < end and (not symbols or e.symbol in symbols)
        and (not label.options or e.signal.value == label.options)
    }  # fmt: skip
    got = {(_day(r[0]), r[1], r[2]) for r in answer.rows}
    return None if got == want else f"{len(got)} events, expected {len(want)}"


def _ratings(label: Label, answer: Answer, symbols: list[str]) -> str | None:
    n, *signal = label.options.split()
    rows = [
        r for r in RATINGS
        if r.grade != "insufficient data" and (not symbols or r.symbol in symbols)
        and (not signal or r.signal.value == signal[0])
    ]  # fmt: skip
    rows.sort(key=lambda r: (r.grade, -(r.t_stat or 0.0), r.symbol))
    want = [(r.symbol, r.signal.value, r.horizon) for r in rows[: int(n)]]
    got = [(r[0], r[1], r[2]) for r in answer.rows]
    return None if got == want else f"got {got[:2]}, expected {want[:2]}"


def _news(label: Label, answer: Answer, symbols: list[str]) -> str | None:
    start, end = _span(label)
    want = {
        ind.key: sum(1 for n in NEWS if start <= n.published < end and ind.key in n.industries)
        for ind in default_taxonomy().industries
    }
    got = {str(r[0]): r[1] for r in answer.rows}
    return None if got == want else f"got {got}, expected {want}"


def _flow_days(symbol: str, label: Label) -> list[Any]:
    start, end = date.fromisoformat(label.start), date.fromisoformat(label.end)
    return [f for f in FLOWS if f.symbol == symbol and start <= f.day <= end]


def _flows(label: Label, answer: Answer, symbols: list[str]) -> str | None:
    want = [
        (f.day.isoformat(), f.foreign_value, f.institution_value, f.individual_value)
        for f in _flow_days(symbols[0], label)
    ]
    got = [tuple(r) for r in answer.rows]
    if len(got) != len(want):
        return f"{len(got)} days, expected {len(want)}"
    for g, w in zip(got, want, strict=True):
        if str(g[0])[:10] != w[0] or any(not _close(a, b, 1e-9) for a, b in zip(g[1:], w[1:], strict=True)):
            return f"got {g}, expected {w}"
    return None


def _flow_top(label: Label, answer: Answer, symbols: list[str]) -> str | None:
    group, direction, n = label.options.split()
    figures: dict[str, float] = {}
    for s in symbols or list(F.FLOW_SYMBOLS):
        days = _flow_days(s, label)
        if days:
            figures[s] = sum(getattr(f, f"{group}_value") for f in days)
    sign = -1 if direction == "desc" else 1
    want = sorted(figures, key=lambda s: (sign * figures[s], s))[: int(n)]
    got = [r[0] for r in answer.rows]
    if got != want or any(not _close(r[1], figures[str(r[0])], 1e-9) for r in answer.rows):
        return f"got {got}, expected {want}"
    if answer.plan is None or answer.plan.options.get("group") != group:
        return f"group {answer.plan.options if answer.plan else None}"
    return None


_CHECKS = {
    "history": _history,
    "max": _extreme,
    "min": _extreme,
    "avg": _avg,
    "change": _change,
    "compare": _compare,
    "top": _top,
    "signals": _signals,
    "ratings": _ratings,
    "news": _news,
    "flows": _flows,
    "flow_top": _flow_top,
}
