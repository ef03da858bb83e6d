"""What people read: a Markdown summary (Korean or English) and a chart PNG.

`summarise` is pure (frame in, `Summary` out); `render_text` is pure (Summary in, text out);
`render_chart` draws stacked market shares and a correlation heatmap with matplotlib (Agg).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO, Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from core.fonts import korean_font
from fundflow import analysis

logger = logging.getLogger(__name__)

Lang = Literal["ko", "en"]
NAMES: dict[Lang, dict[str, str]] = {
    "en": {
        "stocks": "Stocks",
        "bonds": "Bonds",
        "fx": "FX",
        "crypto": "Crypto",
        "commodities": "Commodities",
        "real_estate": "Real estate",
    },
    "ko": {
        "stocks": "주식",
        "bonds": "채권",
        "fx": "외환",
        "crypto": "암호화폐",
        "commodities": "원자재",
        "real_estate": "부동산",
    },
}
TEXT: dict[Lang, dict[str, str]] = {
    "en": {
        "title": "Cross-market fund flows, {first} to {last}",
        "note": "Flow proxy = dollar volume traded (price x volume) of each market's ETFs, futures and "
        "crypto pairs. It shows where trading activity moves, not net money in or out.",
        "shares": "Share of the flow proxy in {last} (change over 12 months):",
        "share_row": "- {name}: {share:.1%} ({change:+.1f} pt)",
        "rotations": "Latest rotations ({n} months in a row, one share falling while another rises):",
        "rotation_row": "- {month}: {src} {sc:+.1f} pt -> {dst} {dc:+.1f} pt",
        "no_rotation": "- none in the period",
        "corr": "Strongest return correlation over the last 36 months: {a} and {b} ({c:+.2f}).",
        "lead": "Strongest lead-lag of monthly returns: {a} leads {b} by {k} month(s) ({c:+.2f}).",
        "empty": "No fund-flow data yet: run `finsignal flows collect` first.",
    },
    "ko": {
        "title": "시장 간 자금 흐름, {first} ~ {last}",
        "note": "흐름 지표 = 각 시장 ETF·선물·암호화폐 거래쌍의 달러 거래대금(가격 x 거래량). "
        "순유입·순유출이 아니라 거래 활동이 어디로 옮겨가는지를 보여 줍니다.",
        "shares": "{last} 흐름 지표 비중 (12개월 변화):",
        "share_row": "- {name}: {share:.1%} ({change:+.1f}%p)",
        "rotations": "최근 자금 이동 ({n}개월 연속 한 시장 비중 하락, 다른 시장 상승):",
        "rotation_row": "- {month}: {src} {sc:+.1f}%p -> {dst} {dc:+.1f}%p",
        "no_rotation": "- 기간 중 없음",
        "corr": "최근 36개월 수익률 상관이 가장 강한 쌍: {a}·{b} ({c:+.2f}).",
        "lead": "월 수익률 선행 관계가 가장 뚜렷한 쌍: 선행 {a}, 후행 {b}, {k}개월 시차 ({c:+.2f}).",
        "empty": "자금 흐름 데이터가 아직 없습니다. 먼저 `finsignal flows collect`를 실행하세요.",
    },
}


@dataclass
class Summary:
    first: date | None = None
    last: date | None = None
    shares: pd.DataFrame = field(default_factory=pd.DataFrame)
    corr: pd.DataFrame = field(default_factory=pd.DataFrame)
    rotations: list[analysis.Rotation] = field(default_factory=list)
    lead: tuple[str, str, int, float] | None = None  # (leader, follower, months, correlation)


def summarise(
    frame: pd.DataFrame,
    *,
    flow: pd.DataFrame | None = None,
    rotation_months: int = 3,
    corr_window: int = 36,
) -> Summary:
    """The report's figures. `flow` is the months x markets flow proxy when already queried (DuckDB,
    `fundflow.query.monthly_flows`); otherwise it is computed from `frame` with pandas."""
    flow = analysis.trim_incomplete(analysis.flows(frame) if flow is None else flow)
    if flow.empty:
        return Summary()
    share = analysis.shares(flow)
    rets = analysis.returns(frame)
    return Summary(
        first=share.index[0],
        last=share.index[-1],
        shares=share,
        corr=analysis.correlation(rets, corr_window),
        rotations=analysis.rotations(share, rotation_months),
        lead=_strongest_lead(rets.tail(corr_window)),
    )


def _strongest_lead(rets: pd.DataFrame) -> tuple[str, str, int, float] | None:
    """The market pair whose returns correlate most strongly at a non-zero lag (leader first)."""
    best: tuple[str, str, int, float] | None = None
    cols = [str(c) for c in rets.columns]
    for i, a in enumerate(cols):
        for b in cols[i + 1 :]:
            k, c = analysis.lead_lag(rets[a], rets[b], min_periods=12)
            if k == 0 or pd.isna(c) or (best is not None and abs(c) <= abs(best[3])):
                continue
            best = (a, b, k, c) if k > 0 else (b, a, -k, c)
    return best


def to_json(summary: Summary) -> dict[str, object]:
    """The summary as plain data: latest shares, share history, correlation, rotations."""
    if summary.last is None:
        return {"months": [], "shares": {}, "correlation": {}, "rotations": []}
    share = summary.shares
    return {
        "months": [f"{m:%Y-%m}" for m in share.index],
        "shares": {str(c): [round(float(v), 6) for v in share[c]] for c in share.columns},
        "correlation": {
            str(a): {str(b): None if pd.isna(v) else round(float(v), 4) for b, v in row.items()}
            for a, row in summary.corr.iterrows()
        },
        "rotations": [
            {
                "month": f"{r.month:%Y-%m}",
                "from": r.source,
                "to": r.target,
                "months": r.months,
                "from_change": round(r.source_change, 6),
                "to_change": round(r.target_change, 6),
            }
            for r in summary.rotations
        ],
        "lead_lag": None
        if summary.lead is None
        else {
            "leader": summary.lead[0],
            "follower": summary.lead[1],
            "months": summary.lead[2],
            "correlation": round(summary.lead[3], 4),
        },
    }


def strongest(corr: pd.DataFrame) -> tuple[str, str, float] | None:
    best: tuple[str, str, float] | None = None
    cols = list(corr.columns)
    matrix = corr.to_numpy(dtype=float)
    for i, a in enumerate(cols):
        for j in range(i + 1, len(cols)):
            b, c = cols[j], float(matrix[i, j])
            if not math.isnan(c) and (best is None or abs(c) > abs(best[2])):
                best = (str(a), str(b), c)
    return best


def render_text(summary: Summary, lang: Lang = "en", *, rotations_shown: int = 3) -> str:
    t, names = TEXT[lang], NAMES[lang]
    if summary.last is None or summary.first is None:
        return t["empty"] + "\n"
    last_row = summary.shares.iloc[-1]
    year_ago = summary.shares.iloc[max(0, len(summary.shares) - 13)]
    lines = [
        f"# {t['title'].format(first=f'{summary.first:%Y-%m}', last=f'{summary.last:%Y-%m}')}",
        "",
        t["note"],
        "",
        t["shares"].format(last=f"{summary.last:%Y-%m}"),
    ]
    for market in last_row.sort_values(ascending=False).index:
        change = round(float(last_row[market] - year_ago[market]) * 100, 1) + 0.0  # never "-0.0"
        lines.append(
            t["share_row"].format(name=names.get(market, market), share=last_row[market], change=change)
        )
    months = summary.rotations[0].months if summary.rotations else 3
    lines += ["", t["rotations"].format(n=months)]
    for r in summary.rotations[-rotations_shown:][::-1]:
        lines.append(
            t["rotation_row"].format(
                month=f"{r.month:%Y-%m}",
                src=names.get(r.source, r.source),
                sc=r.source_change * 100,
                dst=names.get(r.target, r.target),
                dc=r.target_change * 100,
            )
        )
    if not summary.rotations:
        lines.append(t["no_rotation"])
    pair = strongest(summary.corr)
    if pair is not None:
        lines += [
            "",
            t["corr"].format(a=names.get(pair[0], pair[0]), b=names.get(pair[1], pair[1]), c=pair[2]),
        ]
    if summary.lead is not None:
        a, b, k, c = summary.lead
        lines.append(t["lead"].format(a=names.get(a, a), b=names.get(b, b), k=k, c=c))
    return "\n".join(lines) + "\n"


CHART_TITLES: dict[Lang, tuple[str, str, str, str]] = {
    "en": (
        "Share of cross-market flow proxy (dollar volume)",
        "Share of total",
        "Return correlation, last 36 months",
        "Month",
    ),
    "ko": ("시장별 흐름 지표 비중 (달러 거래대금)", "전체 대비 비중", "수익률 상관 (최근 36개월)", "월"),
}


def render_chart(summary: Summary, path: Path | BinaryIO, lang: Lang = "en") -> Figure:
    """Stacked shares (left) and the correlation heatmap (right); saved to `path` (a file path or a
    binary stream) as PNG. Korean labels need a CJK font (fonts-noto-cjk); without one, English."""
    font = korean_font() if lang == "ko" else None
    if lang == "ko" and font is None:
        logger.warning("no Korean font installed (fonts-noto-cjk): the chart is drawn in English")
        lang = "en"  # English labels rather than empty boxes
    with plt.rc_context({"font.family": [font, "DejaVu Sans"]} if font else {}):
        return _draw(summary, path, lang)


def _draw(summary: Summary, path: Path | BinaryIO, lang: Lang) -> Figure:
    title, ylabel, corr_title, xlabel = CHART_TITLES[lang]
    names = NAMES[lang]
    fig, (ax, hm) = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [2.2, 1]})
    share = summary.shares
    if not share.empty:
        x = pd.to_datetime(share.index)
        ax.stackplot(
            x, *(share[c].to_numpy() for c in share.columns), labels=[names.get(c, c) for c in share.columns]
        )
        ax.set_ylim(0, 1)
        ax.set_xlim(x[0], x[-1])  # no empty margins before the first and after the last month
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        _mark_rotations(ax, summary.rotations, names)
        handles, names_shown = ax.get_legend_handles_labels()
        ax.legend(
            handles[::-1], names_shown[::-1], loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9
        )  # same order as the stack
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    corr = summary.corr
    labels = [names.get(c, c) for c in corr.columns]
    matrix = corr.to_numpy(dtype=float)
    image = hm.imshow(matrix, vmin=-1, vmax=1, cmap="RdBu_r")
    hm.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    hm.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            v = float(matrix[i, j])
            if not math.isnan(v):
                colour = "white" if abs(v) > 0.6 else "black"
                hm.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8, color=colour)
    hm.set_title(corr_title)
    fig.colorbar(image, ax=hm, fraction=0.046)
    fig.tight_layout()
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
    return fig


def _mark_rotations(ax: Axes, rotations: list[analysis.Rotation], names: dict[str, str]) -> None:
    """A dotted line and a 'falling -> rising' label at each of the latest three rotation months."""
    by_month: dict[date, list[str]] = {}
    for r in rotations:
        by_month.setdefault(r.month, []).append(
            f"{names.get(r.source, r.source)} → {names.get(r.target, r.target)}"
        )
    for month in sorted(by_month)[-3:]:
        when = float(date2num(pd.Timestamp(month)))  # type: ignore[no-untyped-call]
        ax.axvline(when, color="black", linestyle=":", linewidth=1)
        ax.annotate(
            ", ".join(by_month[month]),
            xy=(when, 0.98),
            xycoords=("data", "axes fraction"),
            rotation=90,
            ha="right",
            va="top",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8, "lw": 0},
        )
