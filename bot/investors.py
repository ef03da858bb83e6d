"""/investors SYMBOL: who bought a Korean stock over the last 20 sessions (issue 21).

A table of net buying by foreigners, institutions and individuals per session (KRW: 억원 in Korean,
billions in English), the totals, the foreign buying streak, and a bar chart of the same numbers.
"""

from __future__ import annotations

import asyncio
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.commands import Env, Request, resolve
from bot.views import Reply, esc, usage
from core.fonts import korean_font
from core.types import InvestorFlow, Language, Market

DAYS = 20


@dataclass(frozen=True, slots=True)
class _Words:
    title: str
    head: tuple[str, str, str, str]
    total: str
    streak_buy: str
    streak_sell: str
    none: str
    korean_only: str
    legend: tuple[str, str, str]
    axis: str


_TEXT = {
    Language.KO: _Words(
        title="투자자별 순매수 · 최근 {n}거래일 (억원)",
        head=("날짜", "외국인", "기관", "개인"),
        total="합계",
        streak_buy="외국인 {n}거래일 연속 순매수",
        streak_sell="외국인 {n}거래일 연속 순매도",
        none="{symbol}의 투자자별 매매 동향이 아직 없습니다 (한국투자증권 연결이 필요합니다).",
        korean_only="투자자별 매매 동향은 국내 주식만 제공됩니다.",
        legend=("외국인", "기관", "개인"),
        axis="순매수 (억원)",
    ),
    Language.EN: _Words(
        title="Net buying by investor · last {n} sessions (KRW bn)",
        head=("Date", "Foreign", "Inst.", "Retail"),
        total="Total",
        streak_buy="Foreigners net buyers {n} sessions in a row",
        streak_sell="Foreigners net sellers {n} sessions in a row",
        none="No investor flows for {symbol} yet (needs the KIS connection).",
        korean_only="Investor flows exist for Korean stocks only.",
        legend=("Foreign", "Institutions", "Retail"),
        axis="Net buying (KRW bn)",
    ),
}


def _unit(lang: Language) -> float:
    return 1e8 if lang == Language.KO else 1e9  # 억원 / billion won


def streak(flows: Sequence[InvestorFlow]) -> int:
    """Sessions in a row, up to the latest, with foreign net buying (> 0) or selling (< 0, negative)."""
    sign, n = 0, 0
    for f in reversed(flows):
        s = (f.foreign_value > 0) - (f.foreign_value < 0)
        if s == 0 or (sign and s != sign):
            break
        sign, n = s, n + 1
    return sign * n


def _width(text: str) -> int:
    """Columns `text` takes in a monospaced font: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, left: bool) -> str:
    fill = " " * (width - _width(text))
    return text + fill if left else fill + text


def render_text(name: str, symbol: str, flows: Sequence[InvestorFlow], lang: Language) -> str:
    """The reply's text: a monospaced table (dates as MM-DD, signed values), totals and the streak."""
    tx, unit = _TEXT[lang], _unit(lang)
    rows: list[tuple[str, ...]] = [tx.head]
    for f in flows:
        values = (f.foreign_value, f.institution_value, f.individual_value)
        rows.append((f"{f.day:%m-%d}", *(f"{v / unit:+,.1f}" for v in values)))
    totals = [
        sum(getattr(f, k) for f in flows) / unit
        for k in ("foreign_value", "institution_value", "individual_value")
    ]
    rows.append((tx.total, *(f"{v:+,.1f}" for v in totals)))
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = [
        " ".join(_pad(c, w, left=i == 0) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    run = streak(flows)
    note = ""
    if abs(run) >= 2:
        note = "\n" + (tx.streak_buy if run > 0 else tx.streak_sell).format(n=abs(run))
    title = tx.title.format(n=len(flows))
    return f"<b>{esc(name)}</b> {esc(symbol)}\n{title}\n<pre>{esc(chr(10).join(lines), 4000)}</pre>{note}"


def render_chart(name: str, flows: Sequence[InvestorFlow], lang: Language) -> bytes:
    """Grouped bars per session (foreign, institutions, retail), in the reply's unit."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    tx, unit = _TEXT[lang], _unit(lang)
    plt.rcParams["font.family"] = [korean_font() or "DejaVu Sans", "DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    width = 0.27
    keys = ("foreign_value", "institution_value", "individual_value")
    colors = ("#1f77b4", "#ff7f0e", "#8c8c8c")
    for i, (key, color, label) in enumerate(zip(keys, colors, tx.legend, strict=True)):
        xs = [j + (i - 1) * width for j in range(len(flows))]
        ax.bar(xs, [getattr(f, key) / unit for f in flows], width, color=color, label=label)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(range(len(flows)), [f"{f.day:%m-%d}" for f in flows], fontsize=7, rotation=45)
    ax.set_ylabel(tx.axis)
    ax.set_xlabel(tx.head[0] + " (KST)")
    ax.set_title(f"{name} · {tx.title.format(n=len(flows))}", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


async def cmd_investors(env: Env, req: Request) -> Reply:
    if len(req.args) != 1:
        return usage(req.lang, "/investors SYMBOL")
    inst = await resolve(env, req, req.args[0])
    if isinstance(inst, Reply):
        return inst
    tx = _TEXT[req.lang]
    if inst.market != Market.KRX:
        return Reply(tx.korean_only)
    if env.services.investor_flows is None:
        return Reply(tx.none.format(symbol=esc(inst.symbol)))
    flows = await env.services.investor_flows.investor_flows(inst, days=DAYS)
    if not flows:
        return Reply(tx.none.format(symbol=esc(inst.symbol)))
    png = await asyncio.to_thread(render_chart, inst.name, flows, req.lang)
    return Reply(render_text(inst.name, inst.symbol, flows, req.lang), photo=png)
