"""The chart of an answer, chosen from the result's shape, as PNG bytes (matplotlib, Agg).

- a time column and numbers (history, a model's series, investor flows): a line per number column;
- symbol, time, number (compare): several lines, each indexed to 100 at its first day;
- a text column and a number (top, news, ratings): horizontal bars;
- anything else (one value, no rows): no chart.
Dates on the x axis are KST calendar dates; Korean labels use a CJK font when one is installed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ask.answer import industry_label
from ask.interpret import Plan
from core import fonts
from core.timeutil import KST

_LABELS = {
    "en": {"date": "Date (KST)", "index": "Index (first day = 100)", "value": "Value", "close": "Close"},
    "ko": {"date": "날짜 (KST)", "index": "지수 (첫날 = 100)", "value": "값", "close": "종가"},
}
_COLUMN_KO = {
    "change_pct": "등락률 (%)",
    "total_volume": "거래량",
    "news_count": "뉴스 건수",
    "t_stat": "t 통계량",
    "foreign_value": "외국인",
    "institution_value": "기관",
    "individual_value": "개인",
    "foreign_net_value": "외국인 순매수 (억원)",
    "institution_net_value": "기관 순매수 (억원)",
    "individual_net_value": "개인 순매수 (억원)",
}
_COLUMN_EN = {
    "change_pct": "Change (%)",
    "total_volume": "Volume",
    "news_count": "News items",
    "t_stat": "t-statistic",
    "foreign_value": "Foreigners",
    "institution_value": "Institutions",
    "individual_value": "Individuals",
    "foreign_net_value": "Foreigners' net buying (KRW bn)",
    "institution_net_value": "Institutions' net buying (KRW bn)",
    "individual_net_value": "Individuals' net buying (KRW bn)",
}
_FLOW_UNIT = {"en": "Net buying (KRW bn)", "ko": "순매수 (억원)"}
_KRW_SCALE = {"en": 1e9, "ko": 1e8}  # KRW amounts drawn in billions (en) or 억원 (ko), as the sentence says


def _scale(column: str, lang: str) -> float:
    return _KRW_SCALE[lang] if column.endswith("_value") else 1.0


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_time(value: object) -> bool:
    """A timestamp, or a DATE column's ISO text (investor flows' `day`)."""
    return isinstance(value, datetime) or (isinstance(value, str) and _DAY.match(value) is not None)


def chart_kind(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str | None:
    """'line', 'lines', 'bars' or None, from the result alone."""
    if len(rows) < 2 or len(columns) < 2:
        return None
    first = rows[0]
    if (
        len(columns) >= 3
        and isinstance(first[1], datetime)
        and _is_number(first[2])
        and isinstance(first[0], str)
    ):
        return "lines"
    if _is_time(first[0]) and any(_is_number(v) for v in first[1:]):
        return "line"
    if isinstance(first[0], str) and any(_is_number(v) for v in first[1:]):
        return "bars"
    return None


def render(plan: Plan, columns: Sequence[str], rows: Sequence[Sequence[object]], title: str) -> bytes | None:
    """PNG bytes of the answer's chart, or None when its shape has no chart."""
    kind = chart_kind(columns, rows)
    if kind is None:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lang = plan.lang if plan.lang == "en" or fonts.korean_font() else "en"
    labels = _LABELS[lang]
    style: Any = {
        "font.family": [fonts.korean_font() or "DejaVu Sans", "DejaVu Sans"],
        "axes.unicode_minus": False,
    }
    with plt.rc_context(style):
        fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
        try:
            if kind == "line":
                _line(ax, columns, rows, lang)
                ax.set_xlabel(labels["date"])
            elif kind == "lines":
                _lines(ax, rows)
                ax.set_ylabel(labels["index"])
                ax.set_xlabel(labels["date"])
                ax.legend(loc="best", fontsize=8)
            else:
                _bars(ax, columns, rows, lang)
            ax.set_title(title, fontsize=11)
            ax.grid(alpha=0.3)
            fig.autofmt_xdate() if kind != "bars" else None
            fig.tight_layout()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png")
            return buffer.getvalue()
        finally:
            plt.close(fig)


def _line(ax: Any, columns: Sequence[str], rows: Sequence[Sequence[object]], lang: str) -> None:
    """One line per numeric column (investor flows: foreigners, institutions, individuals)."""
    cols = [i for i, v in enumerate(rows[0]) if i > 0 and _is_number(v)]
    xs: Any = [_kst(r[0]) for r in rows]
    names = _COLUMN_KO if lang == "ko" else _COLUMN_EN
    colours = ("#1f6feb", "#cf222e", "#2da44e", "#8250df")
    for k, col in enumerate(cols):
        label, scale = names.get(columns[col], columns[col]), _scale(columns[col], lang)
        ys = [float(str(r[col] or 0)) / scale for r in rows]
        ax.plot(xs, ys, color=colours[k % 4], lw=1.6, label=label)
    if len(cols) > 1:
        ax.legend(loc="best", fontsize=8)
        ax.axhline(0, color="#888888", lw=0.8)
    first = columns[cols[0]]
    unit = _FLOW_UNIT[lang] if first.endswith("_value") else None
    ax.set_ylabel(unit or (_LABELS[lang]["close"] if first == "close" else names.get(first, first)))


def _kst(ts: object) -> datetime:
    if isinstance(ts, str):
        return datetime.fromisoformat(ts)  # a KST calendar day already
    assert isinstance(ts, datetime)
    return ts.astimezone(KST).replace(tzinfo=None)


def _lines(ax: object, rows: Sequence[Sequence[object]]) -> None:
    series: dict[str, list[tuple[datetime, float]]] = {}
    for symbol, ts, value in (r[:3] for r in rows):
        series.setdefault(str(symbol), []).append((_kst(ts), float(str(value))))
    for symbol, points in series.items():
        base = points[0][1] or 1.0
        ax.plot([p[0] for p in points], [p[1] / base * 100 for p in points], lw=1.5, label=symbol)  # type: ignore[attr-defined]


def _bars(ax: object, columns: Sequence[str], rows: Sequence[Sequence[object]], lang: str) -> None:
    col = next(i for i, v in enumerate(rows[0]) if i > 0 and _is_number(v))
    if "change_pct" in columns:
        col = list(columns).index("change_pct")
    elif "t_stat" in columns:
        col = list(columns).index("t_stat")
    names = [_bar_name(columns, r, lang) for r in rows][::-1]
    values = [float(str(r[col])) / _scale(columns[col], lang) for r in rows][::-1]
    colours = ["#2da44e" if v >= 0 else "#cf222e" for v in values]
    ax.barh(names, values, color=colours)  # type: ignore[attr-defined]
    label = (_COLUMN_KO if lang == "ko" else _COLUMN_EN).get(columns[col], columns[col])
    ax.set_xlabel(label)  # type: ignore[attr-defined]


def _bar_name(columns: Sequence[str], row: Sequence[object], lang: str) -> str:
    if columns[0] == "industry":
        return industry_label(str(row[0]), lang)
    if len(columns) > 2 and columns[1] == "signal":
        return f"{row[0]} {row[1]} {row[2]}" + ("일" if lang == "ko" else "d")
    return str(row[0])


def title_for(plan: Plan, question: str) -> str:
    """The chart title: the question itself (short) with the period."""
    text = question if len(question) <= 60 else question[:57] + "…"
    if plan.period is not None:
        text += f"  ({plan.period.start.isoformat()} – {plan.period.end.isoformat()})"
    return text
