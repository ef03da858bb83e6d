"""`/watch SYMBOL combo:A+B`: only combinations the last combinations study confirmed are accepted.

Words starting `combo:` are combinations; the rest are signal types as before. A combination is
added to the watch (its signal types and earlier combinations are kept when only combinations are
named); `/unwatch SYMBOL` drops the whole watch with its combinations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.views import MAX_ARG, Reply, esc, fit
from bot.views_combo import ct, pair_label
from core.combostudy import STATE_KEY, read_study
from core.ports import Repositories
from core.types import COMBO_PREFIX, Language, Watch
from signals.combos import Combo


def combo_args(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """(signal words, combination words) of /watch's arguments after the symbol."""
    words = [w for part in args for w in part.split(",") if w.strip()]
    combos = [w.strip() for w in words if w.strip().lower().startswith(COMBO_PREFIX)]
    return [w for w in words if w.strip() not in combos], combos


async def confirmed_combos(
    repos: Repositories, lang: Language, words: Sequence[str]
) -> frozenset[str] | Reply:
    """The canonical names of `words` when the stored study confirmed each, else the reply saying why."""
    names: list[str] = []
    for word in words:
        try:
            names.append(Combo.parse(word).name)
        except ValueError as exc:
            return Reply(ct(lang, "bad", name=esc(word, MAX_ARG), why=esc(str(exc), 200)))
    if not names:
        return frozenset()
    study = read_study(await repos.state.get_state(STATE_KEY))
    for name in names:
        if study is None:
            return Reply(ct(lang, "no_study", name=esc(name, MAX_ARG)))
        if study.rating(name) is None:
            known = ", ".join(f"<code>{esc(n)}</code>" for n in study.names) or ct(lang, "none")
            return Reply(ct(lang, "unconfirmed", name=esc(name, MAX_ARG), known=known))
    return frozenset(names)


def with_combos(watch: Watch, old: Watch | None, combos: frozenset[str], named_signals: bool) -> Watch:
    """The watch to store: earlier combinations kept; with only combinations named, the earlier
    watch's signal types and mutes kept too (its timeframes are `watch`'s)."""
    if old is None:
        return replace(watch, combos=combos)
    if combos and not named_signals:
        return replace(watch, signals=old.signals, muted=old.muted, combos=old.combos | combos)
    return replace(watch, combos=old.combos | combos)


def combos_watched(lang: Language, names: Iterable[str]) -> str:
    shown = ", ".join(f"{esc(pair_label(lang, n))} (<code>{esc(n)}</code>)" for n in sorted(names))
    return ct(lang, "added", names=shown)


def with_combo_lines(lang: Language, reply: Reply, watches: Iterable[Watch]) -> Reply:
    """The /watchlist reply with one line naming each watch's combinations (none: unchanged)."""
    items = [f"<b>{esc(w.symbol)}</b> {esc(pair_label(lang, n))}" for w in watches for n in sorted(w.combos)]
    if not items:
        return reply
    return replace(reply, text=fit([reply.text, ct(lang, "listed", items="; ".join(items))]))
