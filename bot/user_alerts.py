"""`/alert` and `/alerts` (issue 24): a chat's own alerts on a price level, a daily move or an RSI
level. Command logic, free of Telegram: a `Request` in, a `views.Reply` out."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import replace

from bot import views
from bot.commands import Env, Request, resolve
from bot.i18n import t
from bot.views import MAX_ARG, Reply, esc
from bot.views_user_alert import describe, rearm_text, render_alerts
from core.errors import FinsignalError
from core.types import AlertRule, Instrument, Quote, UserAlert
from signals.user_alerts import margins, reached

logger = logging.getLogger(__name__)

MAX_LEVEL = 1e11  # the level column is NUMERIC(20, 8)
USAGE = "/alert SYMBOL above|below PRICE · /alert SYMBOL move N% · /alert SYMBOL rsi above|below N"


def _number(word: str) -> float | None:
    try:
        value = float(word.replace(",", "").removesuffix("%"))
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 < value < MAX_LEVEL else None


def parse_rule(args: tuple[str, ...]) -> tuple[AlertRule, str] | None:
    """(rule, the level as typed) from the words after the symbol, or None when they fit no form."""
    words = [a.lower() for a in args]
    if len(words) == 2 and words[0] in ("above", "below"):
        return AlertRule(words[0]), args[1]
    if len(words) == 2 and words[0] == "move":
        return AlertRule.MOVE, args[1]
    if len(words) == 3 and words[0] == "rsi" and words[1] in ("above", "below"):
        return AlertRule(f"rsi_{words[1]}"), args[2]
    return None


def _current(rule: AlertRule, quote: Quote) -> float | None:
    if rule in (AlertRule.ABOVE, AlertRule.BELOW):
        return quote.price
    if rule is AlertRule.MOVE:
        return quote.change_pct
    return quote.rsi14


def _shown(rule: AlertRule, value: float, currency: str) -> str:
    """The current value as a reply shows it: a price, a move, an RSI."""
    if rule in (AlertRule.ABOVE, AlertRule.BELOW):
        return views.money(value, currency)
    if rule is AlertRule.MOVE:
        return f"{value:+.2f}%"
    return f"RSI {value:.1f}"


async def _latest(env: Env, inst: Instrument) -> Quote | None:
    """The latest quote, if one comes within the lookup timeout (else the alert is simply armed)."""
    try:
        quote, _age = await asyncio.wait_for(env.services.quotes.quote(inst), env.settings.lookup_timeout_s)
    except (FinsignalError, TimeoutError) as exc:
        logger.info("no quote for new alert on %s: %s", inst.symbol, exc)
        return None
    return quote


async def cmd_alert(env: Env, req: Request) -> Reply:
    if len(req.args) < 3:
        return views.usage(req.lang, USAGE)
    parsed = parse_rule(req.args[1:])
    if parsed is None:
        return views.usage(req.lang, USAGE)
    if not req.can_manage:
        return Reply(t(req.lang, "not_group_admin"))
    rule, raw_level = parsed
    level = _number(raw_level)
    if level is None:
        return Reply(t(req.lang, "alert_bad_level", value=esc(raw_level, MAX_ARG)))
    if rule in (AlertRule.RSI_ABOVE, AlertRule.RSI_BELOW) and level >= 100:
        return Reply(t(req.lang, "alert_bad_rsi", value=esc(raw_level, MAX_ARG)))
    inst = await resolve(env, req, req.args[0], verify=True)
    if isinstance(inst, Reply):
        return inst
    repos = env.services.repos
    alert = UserAlert(req.chat.chat_id, inst.symbol, rule, level, created_at=env.clock.now())
    quote = await _latest(env, inst)
    now_value = _current(rule, quote) if quote is not None else None
    waiting = now_value is not None and reached(rule, level, now_value)
    if waiting:
        alert = replace(alert, armed=False)
    existing = {(a.symbol, a.rule, a.level) for a in await repos.user_alerts.list_alerts(req.chat.chat_id)}
    limit = env.settings.user_alerts_per_chat
    await repos.instruments.upsert_instruments([inst])  # its bars are kept up to date from now on
    stored = await repos.user_alerts.add_alert(alert, limit=limit)
    what = describe(req.lang, alert, inst.currency)
    if stored is None:
        return Reply(t(req.lang, "alert_limit", limit=limit))
    if (stored.symbol, stored.rule, stored.level) in existing:
        return Reply(t(req.lang, "alert_exists", what=what))
    if env.services.followups is not None:
        env.services.followups.watched(inst.symbol)  # daily history for moves and RSI follows shortly
    if waiting and now_value is not None:
        now = _shown(rule, now_value, inst.currency)
        return Reply(
            t(
                req.lang,
                "alert_set_waiting",
                what=what,
                now=now,
                rearm=rearm_text(alert, margins(env.settings), inst.currency),
            )
        )
    return Reply(t(req.lang, "alert_set", what=what))


async def cmd_alerts(env: Env, req: Request) -> Reply:
    if req.args:
        return views.usage(req.lang, "/alerts")
    return await listing(env, req)


async def listing(env: Env, req: Request) -> Reply:
    repos = env.services.repos
    alerts = await repos.user_alerts.list_alerts(req.chat.chat_id)
    instruments = await repos.instruments.get_instruments({a.symbol for a in alerts})
    currencies = {s: i.currency for s, i in instruments.items()}
    return render_alerts(req.lang, alerts, env.settings.user_alerts_per_chat, currencies)


async def delete(env: Env, req: Request, raw_id: str) -> Reply:
    """Delete button (`ad|ID` under /alerts, `ah|ID` under a fired alert)."""
    repos = env.services.repos
    if not raw_id.isdigit():
        return Reply(t(req.lang, "alert_gone"))
    mine = {a.id: a for a in await repos.user_alerts.list_alerts(req.chat.chat_id)}
    alert = mine.get(int(raw_id))
    if alert is None or not await repos.user_alerts.delete_alert(req.chat.chat_id, int(raw_id)):
        return Reply(t(req.lang, "alert_gone"))
    found = await repos.instruments.get_instruments({alert.symbol})
    currency = found[alert.symbol].currency if alert.symbol in found else ""
    return Reply(t(req.lang, "alert_deleted", what=describe(req.lang, alert, currency)))
