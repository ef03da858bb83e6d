"""/etf CODE: what a Korean ETF holds (top ten by weight) and what changed since the previous snapshot
(issue 21)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands import Env, Request, resolve
from bot.views import Reply, esc, usage
from core.types import EtfHolding, Language, Market
from market.etf import EtfChanges, diff

TOP = 10
_TEXT = {
    Language.KO: {
        "title": "구성 종목 상위 {n}개 · {day} 기준",
        "changes": "{prev} 대비 변화",
        "added": "편입",
        "removed": "편출",
        "moved": "비중 변화",
        "same": "{prev} 대비 변화 없음",
        "none": "{symbol}의 구성 종목 정보가 없습니다 (한국투자증권 연결이 필요합니다).",
        "korean_only": "ETF 구성 종목은 국내 ETF만 제공됩니다.",
    },
    Language.EN: {
        "title": "Top {n} holdings · as of {day}",
        "changes": "Changes since {prev}",
        "added": "added",
        "removed": "removed",
        "moved": "weight changed",
        "same": "No change since {prev}",
        "none": "No holdings for {symbol} yet (needs the KIS connection).",
        "korean_only": "ETF holdings exist for Korean ETFs only.",
    },
}


def _changes(changes: EtfChanges, words: dict[str, str]) -> list[str]:
    lines = [f"+ {words['added']}: {esc(h.name)} {h.weight:.2f}%" for h in changes.added]
    lines += [f"- {words['removed']}: {esc(h.name)} {h.weight:.2f}%" for h in changes.removed]
    lines += [
        f"· {esc(h.name)} {old:.2f}% → {h.weight:.2f}% ({h.weight - old:+.2f}%p)"
        for h, old in changes.reweighted[:5]
    ]
    return lines


def render_etf(
    name: str, symbol: str, latest: Sequence[EtfHolding], previous: Sequence[EtfHolding], lang: Language
) -> str:
    words = _TEXT[lang]
    top = latest[:TOP]
    lines = [
        f"<b>{esc(name)}</b> {esc(symbol)}",
        words["title"].format(n=len(top), day=f"{latest[0].day:%Y-%m-%d}"),
    ]
    lines += [f"{i}. {esc(h.name)} ({esc(h.code)}) {h.weight:.2f}%" for i, h in enumerate(top, 1)]
    if previous:
        prev = f"{previous[0].day:%Y-%m-%d}"
        changes = diff(latest, previous)
        if changes:
            lines += ["", words["changes"].format(prev=prev), *_changes(changes, words)]
        else:
            lines += ["", words["same"].format(prev=prev)]
    return "\n".join(lines)


async def cmd_etf(env: Env, req: Request) -> Reply:
    if len(req.args) != 1:
        return usage(req.lang, "/etf CODE")
    inst = await resolve(env, req, req.args[0])
    if isinstance(inst, Reply):
        return inst
    words = _TEXT[req.lang]
    if inst.market != Market.KRX:
        return Reply(words["korean_only"])
    latest, previous = await env.services.etfs.etf_holdings(inst) if env.services.etfs else ([], [])
    if not latest:
        return Reply(words["none"].format(symbol=esc(inst.symbol)))
    return Reply(render_etf(inst.name, inst.symbol, latest, previous, req.lang))
