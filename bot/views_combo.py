"""Combinations in the chat: the alert of a combination event (`combo:A+B`, fired when both halves
land within the study's window of bars) with its rating from the last combinations study, and the
replies of `/watch SYMBOL combo:A+B`. Pure rendering; the strings live here, not in `bot.i18n`."""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import signal_name, t
from bot.views import Buttons, Reply, bar_time, callback, esc, fit, money
from core.combostudy import STATE_KEY, ComboStudy, read_study
from core.ports import Repositories
from core.types import Instrument, Language, SignalEvent, split_combo

_ARROW = {1: "▲", -1: "▼", 0: "●"}

_TEXT: dict[Language, dict[str, str]] = {
    Language.EN: {
        "title": "{arrow} <b>Combination: {pair}</b> · <b>{symbol}</b> {name}",
        "why_now": "{a} and {b} on the same bar.",
        "why_apart": "{now} on this bar, {earlier} {n} bars earlier (within {window} bars).",
        "why_apart_1": "{now} on this bar, {earlier} the bar before (within {window} bars).",
        "rating": "Study: confirmed out of sample, {excess} over the baseline in {horizon} days, "
        "{count} events (p {p}), pooled over {symbols} symbols.",
        "no_rating": "Study: no rating yet.",
        "unconfirmed": "<code>{name}</code> is not a combination the last study confirmed, so it "
        "cannot be watched. Confirmed: {known}. Run <code>finsignal backtest SYMBOL... "
        "--combinations</code> to find more.",
        "no_study": "No combinations study has been run yet, so <code>{name}</code> cannot be watched. "
        "Run <code>finsignal backtest SYMBOL... --combinations</code>; the combinations it confirms "
        "can then be watched.",
        "bad": "Not a combination: <code>{name}</code> ({why}). Write it as "
        "<code>combo:golden_cross+volume_spike</code>.",
        "added": "Combinations watched: {names}.",
        "listed": "Combinations: {items}.",
        "none": "none",
    },
    Language.KO: {
        "title": "{arrow} <b>{symbol}</b> {name} · <b>조합: {pair}</b>",
        "why_now": "같은 봉에서 {a} · {b} 동시 발생.",
        "why_apart": "이번 봉에 {now}, {n}봉 전에 {earlier} ({window}봉 이내).",
        "why_apart_1": "이번 봉에 {now}, 1봉 전에 {earlier} ({window}봉 이내).",
        "rating": "검증: 표본 외 확인, {horizon}일 기준 대비 {excess}, {count}건 (p {p}), "
        "{symbols}종목 합산.",
        "no_rating": "검증: 아직 평가 없음.",
        "unconfirmed": "<code>{name}</code>은(는) 마지막 검증에서 확인된 조합이 아니어서 감시할 수 "
        "없습니다. 확인된 조합: {known}. 더 찾으려면 <code>finsignal backtest SYMBOL... "
        "--combinations</code>를 실행하세요.",
        "no_study": "조합 검증을 아직 실행하지 않아 <code>{name}</code>을(를) 감시할 수 없습니다. "
        "<code>finsignal backtest SYMBOL... --combinations</code>를 실행하면 확인된 조합을 감시할 수 "
        "있습니다.",
        "bad": "조합이 아닙니다: <code>{name}</code> ({why}). "
        "<code>combo:golden_cross+volume_spike</code> 형식으로 쓰세요.",
        "added": "감시하는 조합: {names}.",
        "listed": "조합: {items}.",
        "none": "없음",
    },
}


def ct(lang: Language, key: str, **kw: object) -> str:
    return _TEXT[lang][key].format(**kw)


def pair_label(lang: Language, name: str) -> str:
    """'Golden cross + Volume spike' for `combo:golden_cross+volume_spike` (the name itself if unknown)."""
    pair = split_combo(name)
    if pair is None:
        return name
    return " + ".join(signal_name(lang, s) for s in pair)


def rating_text(lang: Language, name: str, study: ComboStudy | None) -> str:
    r = study.rating(name) if study is not None else None
    if study is None or r is None:
        return ct(lang, "no_rating")
    return ct(
        lang,
        "rating",
        excess=f"{r.excess * 100:+.2f}%",
        horizon=r.horizon,
        count=r.count,
        p=f"{r.p_value:.2g}",
        symbols=study.symbols,
    )


def render_combo_alert(
    lang: Language, event: SignalEvent, inst: Instrument | None, study: ComboStudy | None
) -> Reply:
    """The alert for one combination event, with an unwatch button."""
    assert event.pair is not None, "not a combination event"
    currency = inst.currency if inst else ""
    title = ct(
        lang,
        "title",
        arrow=_ARROW[event.direction],
        pair=esc(pair_label(lang, event.name)),
        symbol=esc(event.symbol),
        name=esc(inst.name if inst and inst.name != event.symbol else ""),
    )
    when = bar_time(lang, event.ts, event.interval, inst)
    lines = [title.replace("  ", " ").rstrip(), f"{t(lang, 'close')} {money(event.close, currency)} · {when}"]
    apart = int(event.values.get("bars_apart", 0))
    window = int(event.values.get("window", 0))
    a, b = signal_name(lang, event.signal), signal_name(lang, event.pair)
    if apart == 0:
        lines.append(esc(ct(lang, "why_now", a=a, b=b), 300))
    else:  # values['now']: which half fired on this bar (1 the first, 2 the second)
        now, earlier = (a, b) if int(event.values.get("now", 1)) == 1 else (b, a)
        key = "why_apart_1" if apart == 1 else "why_apart"
        lines.append(esc(ct(lang, key, now=now, earlier=earlier, n=apart, window=window), 300))
    lines.append(esc(rating_text(lang, event.name, study), 300))
    buttons: Buttons = (((t(lang, "btn_unwatch", symbol=event.symbol), callback("u", event.symbol)),),)
    return Reply(fit(lines), buttons)


async def combo_study(repos: Repositories, events: Iterable[SignalEvent]) -> ComboStudy | None:
    """The stored study, read only when `events` hold a combination."""
    if not any(e.pair is not None for e in events):
        return None
    return read_study(await repos.state.get_state(STATE_KEY))


def combo_digest_lines(
    lang: Language, event: SignalEvent, currency: str, study: ComboStudy | None
) -> list[str]:
    """A combination's entry in a digest of one bar close: the pair, symbol and close; its rating."""
    head = (
        f"{_ARROW[event.direction]} <b>{esc(pair_label(lang, event.name))}</b> · "
        f"<b>{esc(event.symbol)}</b> {money(event.close, currency)}"
    )
    return [head, f"    {esc(rating_text(lang, event.name, study), 300)}"]
