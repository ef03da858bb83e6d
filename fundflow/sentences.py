"""Three plain sentences for chat surfaces (Telegram `/flows`, the premium briefing). Pure."""

from __future__ import annotations

from fundflow.report import NAMES, Lang, Summary, strongest

TEXT: dict[Lang, dict[str, str]] = {
    "en": {
        "share": "In {last}, {name} had the largest share of the cross-market flow proxy (dollar volume "
        "traded): {share:.1%}, {change:+.1f} pt over 12 months.",
        "rotation": "Latest rotation: {month}, {src} {sc:+.1f} pt while {dst} {dc:+.1f} pt over {n} months.",
        "no_rotation": "No rotation (one share falling {n} months in a row while another rises) "
        "in the period.",
        "corr": "Strongest return correlation over the last 36 months: {a} and {b} ({c:+.2f}).",
        "no_corr": "Too few months yet for a return correlation.",
        "empty": "No fund-flow data yet: an administrator runs `finsignal flows collect`.",
    },
    "ko": {
        "share": "{last} 시장 간 흐름 지표(달러 거래대금) 비중이 가장 큰 시장은 {name}입니다: {share:.1%}, "
        "12개월 변화 {change:+.1f}%p.",
        "rotation": "최근 자금 이동: {month}, {n}개월 동안 {src} {sc:+.1f}%p, {dst} {dc:+.1f}%p.",
        "no_rotation": "기간 중 자금 이동({n}개월 연속 한 시장 비중 하락, 다른 시장 상승)은 없었습니다.",
        "corr": "최근 36개월 수익률 상관이 가장 강한 쌍은 {a}·{b}입니다 ({c:+.2f}).",
        "no_corr": "수익률 상관을 낼 만큼 데이터가 쌓이지 않았습니다.",
        "empty": "자금 흐름 데이터가 아직 없습니다. 관리자가 `finsignal flows collect`를 실행해야 합니다.",
    },
}


def sentences(summary: Summary, lang: Lang = "en", *, rotation_months: int = 3) -> tuple[str, ...]:
    """(largest share and its 12-month change, latest rotation, strongest correlation); one sentence
    when nothing is stored."""
    t, names = TEXT[lang], NAMES[lang]
    if summary.last is None:
        return (t["empty"],)
    last_row = summary.shares.iloc[-1]
    year_ago = summary.shares.iloc[max(0, len(summary.shares) - 13)]
    top = str(last_row.idxmax())
    first = t["share"].format(
        last=f"{summary.last:%Y-%m}",
        name=names.get(top, top),
        share=float(last_row[top]),
        change=round(float(last_row[top] - year_ago[top]) * 100, 1) + 0.0,  # never "-0.0"
    )
    if summary.rotations:
        r = summary.rotations[-1]
        second = t["rotation"].format(
            month=f"{r.month:%Y-%m}",
            n=r.months,
            src=names.get(r.source, r.source),
            sc=r.source_change * 100,
            dst=names.get(r.target, r.target),
            dc=r.target_change * 100,
        )
    else:
        second = t["no_rotation"].format(n=rotation_months)
    pair = strongest(summary.corr)
    third = (
        t["no_corr"]
        if pair is None
        else t["corr"].format(a=names.get(pair[0], pair[0]), b=names.get(pair[1], pair[1]), c=pair[2])
    )
    return first, second, third
