"""Rows -> what people read: one sentence with the figure asked for, and a small table. Pure.

Dates are shown as KST calendar dates; prices with thousands separators and at most two decimals.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ask.interpret import Plan
from ask.periods import Period
from ask.vocabulary import Vocabulary
from ask.words import SIGNAL_NAMES
from core.timeutil import KST
from core.types import SignalType

TABLE_ROWS = 10


def num(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-" if value is None else str(value)
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def day(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(KST).date().isoformat()
    return str(value)[:10] if value is not None else "-"


def cell(value: object) -> str:
    return day(value) if isinstance(value, datetime) else num(value)


def table_text(columns: Sequence[str], rows: Sequence[Sequence[object]], limit: int = TABLE_ROWS) -> str:
    """A monospaced table (numbers right-aligned, text left); long results show their first and last
    rows around a '…' line."""
    shown: list[Sequence[object] | None] = list(rows)
    if len(rows) > limit:
        half = limit // 2
        shown = [*rows[:half], None, *rows[-half:]] if half else [None]
    body = [[cell(v) for v in row] if row is not None else ["…"] * len(columns) for row in shown]
    numeric = [bool(rows) and _is_number(rows[0][i]) for i in range(len(columns))]
    widths = [max([len(c), *(len(r[i]) for r in body)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    return "\n".join([line(list(columns)), *(line(r) for r in body)])


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _span(period: Period | None, lang: str) -> str:
    if period is None:
        return ""
    if lang == "ko":
        return f"{period.start.isoformat()}~{period.end.isoformat()}"
    return f"from {period.start.isoformat()} to {period.end.isoformat()}"


def _signal_name(value: str | None, lang: str) -> str:
    try:
        names = SIGNAL_NAMES[SignalType(value or "")]
    except ValueError:
        return "" if value is None else value
    return names[1] if lang == "ko" else names[0]


def sentence(plan: Plan, rows: Sequence[Sequence[object]], vocab: Vocabulary) -> str:
    """The one-line answer of a plan's result, in the plan's language."""
    ko = plan.lang == "ko"
    span = _span(plan.period, plan.lang)
    name = vocab.display(plan.symbols[0], plan.lang) if plan.symbols else ""
    if not rows or (plan.shape in ("avg", "change") and rows[0][0] is None):
        if plan.shape in ("flows", "flow_top"):
            return _no_flows(name, span, ko)
        if plan.shape in ("signals",):
            sig = _signal_name(plan.options.get("signal"), plan.lang)
            return f"{span} {sig} 신호가 없습니다." if ko else f"No {sig + ' ' if sig else ''}signals {span}."
        return (
            f"{name} {span} 데이터가 없습니다.".strip()
            if ko
            else f"No data {('for ' + name) if name else ''} {span}."
        )
    builder = _BUILDERS.get(plan.shape)
    if builder is None:
        return f"{len(rows)}개 행입니다." if ko else f"{len(rows)} rows."
    return builder(plan, rows, name, span, ko)


def _history(plan: Plan, rows: Sequence[Sequence[object]], name: str, span: str, ko: bool) -> str:
    first, last = rows[0], rows[-1]
    pct = (float(str(last[1])) / float(str(first[1])) - 1) * 100
    if ko:
        return (
            f"{name}의 종가는 {day(last[0])}에 {num(last[1])}입니다 ({span} {len(rows)}거래일, {pct:+.2f}%)."
        )
    return (
        f"{name} closed at {num(last[1])} on {day(last[0])} ({len(rows)} trading days {span}, {pct:+.2f}%)."
    )


def _extreme(plan: Plan, rows: Sequence[Sequence[object]], name: str, span: str, ko: bool) -> str:
    ts, value = rows[0][0], rows[0][1]
    high = plan.shape == "max"
    col = plan.options.get("column", "close")
    if ko:
        word = (
            ("최고 종가" if col == "close" else "최고가")
            if high
            else ("최저 종가" if col == "close" else "최저가")
        )
        return f"{name}의 {span} {word}는 {day(ts)}의 {num(value)}입니다."
    word = ("highest" if high else "lowest") + (" close" if col == "close" else " price")
    return f"{name}'s {word} {span} was {num(value)} on {day(ts)}."


def _avg(plan: Plan, rows: Sequence[Sequence[object]], name: str, span: str, ko: bool) -> str:
    value, days = rows[0][0], rows[0][1]
    if ko:
        return f"{name}의 {span} 평균 종가는 {num(value)}입니다 ({days}거래일)."
    return f"{name}'s average close {span} was {num(value)} over {days} trading days."


def _change(plan: Plan, rows: Sequence[Sequence[object]], name: str, span: str, ko: bool) -> str:
    t0, c0, t1, c1, pct = rows[0][:5]
    if ko:
        return f"{name}은(는) {day(t0)} {num(c0)}에서 {day(t1)} {num(c1)}로 {num(pct)}% 변했습니다."
    return f"{name} moved {float(str(pct)):+.2f}% from {num(c0)} on {day(t0)} to {num(c1)} on {day(t1)}."


def changes_by_symbol(rows: Sequence[Sequence[object]]) -> dict[str, float]:
    """symbol -> change % from (symbol, ts, close) rows sorted by symbol and time."""
    firsts: dict[str, float] = {}
    lasts: dict[str, float] = {}
    for symbol, _ts, close in rows:
        firsts.setdefault(str(symbol), float(str(close)))
        lasts[str(symbol)] = float(str(close))
    return {s: round((lasts[s] / firsts[s] - 1) * 100, 2) for s in firsts}


def _compare(plan: Plan, rows: Sequence[Sequence[object]], name: str, span: str, ko: bool) -> str:
    changes = changes_by_symbol(rows)
    parts = ", ".join(f"{s} {changes[s]:+.2f}%" for s in plan.symbols if s in changes)
    missing = [s for s in plan.symbols if s not in changes]
    tail = ""
    if missing:
        tail = f" ({', '.join(missing)}: 데이터 없음)" if ko else f" (no data: {', '.join(missing)})"
    return f"{span} 등락률: {parts}{tail}." if ko else f"Change {span}: {parts}{tail}."


def _top(plan: Plan, rows: Sequence[Sequence[object]], name: str, span: str, ko: bool) -> str:
    volume = plan.options.get("metric") == "volume"
    items = ", ".join(
        f"{i}. {r[0]} {num(r[1]) if volume else f'{float(str(r[3])):+.2f}%'}" for i, r in enumerate(rows, 1)
    )
    up = plan.options.get("direction") != "asc"
    if ko:
        what = "거래량" if volume else "등락률"
        return f"{span} {what} {'상위' if up else '하위'} {len(rows)}: {items}."
    what = "volume" if volume else "change"
    return f"{'Top' if up else 'Bottom'} {len(rows)} by {what} {span}: {items}."


def _signals(plan: Plan, rows: Sequence[Sequence[object]], name: str, span: str, ko: bool) -> str:
    sig = _signal_name(plan.options.get("signal"), plan.lang)
    latest = rows[0]
    which = f"{latest[1]} {_signal_name(str(latest[2]), plan.lang)}"
    if ko:
        head = f"{span} {sig + ' ' if sig else ''}신호 {len(rows)}건"
        return f"{head}; 가장 최근은 {day(latest[0])} {which}입니다."
    return f"{len(rows)} {sig + ' ' if sig else ''}signals {span}; the latest: {which} on {day(latest[0])}."


def _ratings(plan: Plan, rows: Sequence[Sequence[object]], name: str, span: str, ko: bool) -> str:
    best = rows[0]
    sig = _signal_name(str(best[1]), plan.lang)
    if ko:
        return (
            f"가장 좋은 평가: {best[0]} {sig} (등급 {best[3]}, {best[2]}일 보유, 적중률 {num(best[5])}%, "
            f"평균 수익 {num(best[6])}%)."
        )
    return (
        f"Best rated: {best[0]} {sig} (grade {best[3]}, {best[2]}-day horizon, hit rate {num(best[5])}%, "
        f"mean return {num(best[6])}%)."
    )


def _news(plan: Plan, rows: Sequence[Sequence[object]], name: str, span: str, ko: bool) -> str:
    shown = [r for r in rows if isinstance(r[1], int) and r[1] > 0][:5]
    if not shown:
        return f"{span} 분류된 뉴스가 없습니다." if ko else f"No classified news {span}."
    parts = ", ".join(f"{industry_label(str(r[0]), plan.lang)} {r[1]}" for r in shown)
    return f"{span} 산업별 뉴스 건수: {parts}." if ko else f"News by industry {span}: {parts}."


GROUPS = {
    "foreign": ("foreigners", "외국인"),
    "institution": ("institutions", "기관"),
    "individual": ("individuals", "개인"),
}


def krw(value: object, ko: bool) -> str:
    """Net KRW with its sign: 억원 (10^8) in Korean, KRW billions in English."""
    v = float(str(value or 0))
    return f"{v / 1e8:+,.1f}억원" if ko else f"KRW {v / 1e9:+,.2f}bn"


def _no_flows(name: str, span: str, ko: bool) -> str:
    if ko:
        return (
            (
                f"{name} {span} 투자자별 수급 데이터가 없습니다. 수급은 장 마감 40분 뒤 KIS에서 관심종목의 "
                "한국 주식만 받아 쌓습니다 (docs/korea.md)."
            )
            .replace("  ", " ")
            .strip()
        )
    return (
        f"No investor flows {('for ' + name + ' ') if name else ''}{span}. Flows come from KIS 40 minutes "
        "after the KRX close, for watched Korean stocks only (see docs/korea.md)."
    )


def _flows(plan: Plan, rows: Sequence[Sequence[object]], name: str, span: str, ko: bool) -> str:
    totals = [sum(float(str(r[i] or 0)) for r in rows) for i in (1, 2, 3)]
    f, inst, ind = (krw(t, ko) for t in totals)
    if ko:
        return f"{name}의 {span} 외국인 순매수 합계는 {f}입니다 (기관 {inst}, 개인 {ind}, {len(rows)}거래일)."
    return (
        f"Foreigners' net buying of {name} {span} totalled {f} "
        f"(institutions {inst}, individuals {ind}, {len(rows)} sessions)."
    )


def _flow_top(plan: Plan, rows: Sequence[Sequence[object]], name: str, span: str, ko: bool) -> str:
    en_group, ko_group = GROUPS[plan.options.get("group", "foreign")]
    items = ", ".join(f"{i}. {r[0]} {krw(r[1], ko)}" for i, r in enumerate(rows, 1))
    if plan.options.get("direction") != "asc":
        if ko:
            return f"{span} {ko_group} 순매수 상위 {len(rows)}: {items}."
        return f"Top {len(rows)} by {en_group}' net buying {span}: {items}."
    if ko:  # a selling ranking: lowest net buying first, amounts still as net buying (minus = sold)
        return f"{span} {ko_group} 순매도 상위 {len(rows)} (순매수 금액, 음수 = 순매도): {items}."
    return f"Top {len(rows)} by {en_group}' net selling {span} (net buying shown; minus = sold): {items}."


def industry_label(key: str, lang: str) -> str:
    from news.taxonomy import default_taxonomy

    for ind in default_taxonomy().industries:
        if ind.key == key:
            return ind.ko if lang == "ko" else ind.en
    return key


_BUILDERS = {
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
