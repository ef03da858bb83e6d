"""What a person reads of their own alerts (issue 24): the rule in words, the `/alerts` list with
delete buttons, a fired alert, and the digest of several alerts from one bar close. Pure rendering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n import signal_name, t
from bot.views import Buttons, Reply, bar_time, callback, esc, fit, money, rating_line
from bot.views_combo import combo_digest_lines
from core.combostudy import ComboStudy
from core.types import AlertHit, AlertRule, Instrument, Language, Rating, SignalEvent, UserAlert
from signals.user_alerts import Margins, rearm_point

_ARROW = {1: "▲", -1: "▼", 0: "●"}


def _level(rule: AlertRule, value: float, currency: str) -> str:
    if rule in (AlertRule.ABOVE, AlertRule.BELOW):
        return money(value, currency)
    return f"{value:g}"


def describe(lang: Language, alert: UserAlert, currency: str = "") -> str:
    """'<b>AAPL</b> at or above 200.00 USD' / '<b>AAPL</b> 200.00 USD 이상'."""
    return t(
        lang,
        f"rule_{alert.rule.value}",
        symbol=esc(alert.symbol),
        level=_level(alert.rule, alert.level, currency),
    )


def rearm_text(alert: UserAlert, margins: Margins, currency: str = "") -> str:
    """The value a fired alert must move back past: '199.00 USD', '4.5%', 'RSI 68'."""
    point = rearm_point(alert.rule, alert.level, margins)
    if alert.rule is AlertRule.MOVE:
        return f"{point:g}%"
    if alert.rule in (AlertRule.RSI_ABOVE, AlertRule.RSI_BELOW):
        return f"RSI {point:g}"
    return money(point, currency)


def render_alerts(
    lang: Language, alerts: Sequence[UserAlert], limit: int, currencies: dict[str, str] | None = None
) -> Reply:
    """`/alerts`: numbered, with one delete button per alert (callback `ad|ID`)."""
    if not alerts:
        return Reply(t(lang, "alerts_empty"))
    cur = currencies or {}
    lines = [t(lang, "alerts_title", count=len(alerts), limit=limit)]
    rows: list[tuple[tuple[str, str], ...]] = []
    for n, a in enumerate(alerts, 1):
        waiting = "" if a.armed else f" ({t(lang, 'alert_waiting')})"
        lines.append(f"{n}. {describe(lang, a, cur.get(a.symbol, ''))}{waiting}")
        rows.append(((t(lang, "btn_alert_delete", n=n), callback("ad", str(a.id))),))
    return Reply(fit(lines), tuple(rows))


def _hit_line(lang: Language, hit: AlertHit, currency: str, when: str) -> str:
    label, price = t(lang, "last"), money(hit.close, currency)
    if hit.alert.rule is AlertRule.MOVE:
        return t(lang, "hit_move", label=label, price=price, move=f"{hit.value:+.2f}%", when=when)
    if hit.alert.rule in (AlertRule.RSI_ABOVE, AlertRule.RSI_BELOW):
        return t(lang, "hit_rsi", label=label, price=price, rsi=f"{hit.value:.1f}", when=when)
    return t(lang, "hit_price", label=label, price=price, when=when)


def render_hit(lang: Language, hit: AlertHit, inst: Instrument | None, margins: Margins) -> Reply:
    """One fired alert, with a button to delete it."""
    currency = inst.currency if inst else ""
    when = bar_time(lang, hit.ts, hit.interval, inst)
    lines = [
        t(lang, "hit_title", what=describe(lang, hit.alert, currency)),
        _hit_line(lang, hit, currency, when),
        t(lang, "hit_rearm", rearm=rearm_text(hit.alert, margins, currency)),
    ]
    buttons: Buttons = (((t(lang, "btn_alert_delete", n=""), callback("ah", str(hit.alert.id))),),)
    return Reply(fit(lines), buttons)


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One line of a digest: a signal event (with its rating, if any) or a fired own alert."""

    inst: Instrument | None
    event: SignalEvent | None = None
    rating: Rating | None = None
    hit: AlertHit | None = None
    study: ComboStudy | None = None  # a combination event's rating comes from the combinations study


def _item_lines(lang: Language, item: DigestItem) -> list[str]:
    currency = item.inst.currency if item.inst else ""
    if item.event is not None and item.event.pair is not None:
        return combo_digest_lines(lang, item.event, currency, item.study)
    if item.event is not None:
        e = item.event
        head = (
            f"{_ARROW[e.signal.direction]} <b>{esc(signal_name(lang, e.signal))}</b> · "
            f"<b>{esc(e.symbol)}</b> {money(e.close, currency)}"
        )
        record = rating_line(lang, item.rating) if item.rating is not None else t(lang, "no_rating")
        return [head, f"    {record}"]
    assert item.hit is not None
    h = item.hit
    value = ""
    if h.alert.rule is AlertRule.MOVE:
        value = f" ({h.value:+.2f}%)"
    elif h.alert.rule in (AlertRule.RSI_ABOVE, AlertRule.RSI_BELOW):
        value = f" (RSI {h.value:.1f})"
    return [f"🎯 {describe(lang, h.alert, currency)} · {money(h.close, currency)}{value}"]


def render_digest(lang: Language, items: Sequence[DigestItem]) -> Reply:
    """Several alerts of one bar close in one message: a title with the close's time, one entry each."""
    first = items[0]
    bar = first.event if first.event is not None else first.hit
    assert bar is not None
    lines = [t(lang, "digest_title", n=len(items), when=bar_time(lang, bar.ts, bar.interval, first.inst))]
    for item in items:
        lines += _item_lines(lang, item)
    return Reply(fit(lines))
