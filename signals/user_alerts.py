"""Chats' own alerts (issue 24), evaluated: pure functions, no I/O.

Each alert fires once per crossing: an armed alert fires when its value reaches the level and is then
disarmed; it is re-armed only after the value has moved back past the level by a margin, so a price
hovering around the level does not fire again and again.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings
from core.types import AlertRule, UserAlert


@dataclass(frozen=True, slots=True)
class Margins:
    """How far back past the level a fired alert must move to be re-armed: `price_pct` percent of the
    level for price alerts, `move_points` percentage points for daily moves, `rsi_points` RSI points."""

    price_pct: float = 0.5
    move_points: float = 0.5
    rsi_points: float = 2.0


def margins(settings: Settings) -> Margins:
    """The re-arm margins from the FINSIGNAL_USER_ALERT_REARM_* settings."""
    return Margins(
        settings.user_alert_rearm_pct,
        settings.user_alert_rearm_move_points,
        settings.user_alert_rearm_rsi_points,
    )


def reached(rule: AlertRule, level: float, value: float) -> bool:
    """True when `value` is at or past `level` in the rule's direction (moves: either way)."""
    if rule in (AlertRule.ABOVE, AlertRule.RSI_ABOVE):
        return value >= level
    if rule is AlertRule.MOVE:
        return abs(value) >= level
    return value <= level


def rearm_point(rule: AlertRule, level: float, margins: Margins) -> float:
    """The value the alert must move back past to be armed again."""
    if rule is AlertRule.ABOVE:
        return level * (1.0 - margins.price_pct / 100.0)
    if rule is AlertRule.BELOW:
        return level * (1.0 + margins.price_pct / 100.0)
    if rule is AlertRule.MOVE:
        return max(level - margins.move_points, 0.0)
    if rule is AlertRule.RSI_ABOVE:
        return level - margins.rsi_points
    return level + margins.rsi_points


def rearmed(rule: AlertRule, level: float, value: float, margins: Margins) -> bool:
    """True when a fired alert's value has moved back past its re-arm point."""
    back = rearm_point(rule, level, margins)
    if rule in (AlertRule.ABOVE, AlertRule.RSI_ABOVE):
        return value < back
    if rule is AlertRule.MOVE:
        return abs(value) < back
    return value > back


def step(alert: UserAlert, armed: bool, value: float, margins: Margins) -> tuple[bool, bool]:
    """One new value for an alert in state `armed`: (fires now, armed afterwards)."""
    if armed:
        if reached(alert.rule, alert.level, value):
            return True, False
        return False, True
    return False, rearmed(alert.rule, alert.level, value, margins)


def daily_move(close: float, prev_close: float | None) -> float | None:
    """The move in percent against the previous session's close (None without one)."""
    if prev_close is None or prev_close <= 0:
        return None
    return (close / prev_close - 1.0) * 100.0
