"""Golden texts of chats' own alerts (issue 24): a fired alert of each rule, the /alerts list and the
digest of one close, in English and Korean."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.views import to_plain
from bot.views_user_alert import DigestItem, render_alerts, render_digest, render_hit
from core.types import (
    AlertHit,
    AlertRule,
    Instrument,
    Interval,
    Language,
    Market,
    Rating,
    SignalEvent,
    SignalType,
    UserAlert,
)
from signals.user_alerts import Margins

SAMSUNG = Instrument("005930.KS", "Samsung Electronics", Market.KRX, "KRW", "Asia/Seoul")
SESSION = datetime(2026, 11, 30, tzinfo=UTC)
MINUTE = datetime(2026, 11, 30, 2, 14, tzinfo=UTC)  # 11:14 KST, the 11:14-11:15 minute bar


def alert(rule: AlertRule, level: float, id_: int = 7) -> UserAlert:
    return UserAlert(42, "005930.KS", rule, level, id=id_)


HITS = {
    AlertRule.ABOVE: AlertHit(alert(AlertRule.ABOVE, 80_000), MINUTE, Interval.M1, 80_300, 80_300),
    AlertRule.BELOW: AlertHit(alert(AlertRule.BELOW, 70_000), SESSION, Interval.D1, 69_900, 69_900),
    AlertRule.MOVE: AlertHit(alert(AlertRule.MOVE, 3), SESSION, Interval.D1, 74_100, -3.28),
    AlertRule.RSI_ABOVE: AlertHit(alert(AlertRule.RSI_ABOVE, 70), SESSION, Interval.D1, 81_000, 71.44),
    AlertRule.RSI_BELOW: AlertHit(alert(AlertRule.RSI_BELOW, 30), SESSION, Interval.D1, 61_000, 28.9),
}
WHEN_EN = "2026-11-30 close 15:30 KST"
WHEN_KO = "2026-11-30 마감 15:30 KST"

GOLDEN = {
    (Language.EN, AlertRule.ABOVE): (
        "🎯 Your alert · 005930.KS at or above 80,000 KRW",
        "Last 80,300 KRW · 2026-11-30 11:15 KST",
        "It fires again after moving back past 79,600 KRW.",
    ),
    (Language.EN, AlertRule.BELOW): (
        "🎯 Your alert · 005930.KS at or below 70,000 KRW",
        f"Last 69,900 KRW · {WHEN_EN}",
        "It fires again after moving back past 70,350 KRW.",
    ),
    (Language.EN, AlertRule.MOVE): (
        "🎯 Your alert · 005930.KS moves 3% or more in a day",
        f"Last 74,100 KRW (-3.28% on the previous close) · {WHEN_EN}",
        "It fires again after moving back past 2.5%.",
    ),
    (Language.EN, AlertRule.RSI_ABOVE): (
        "🎯 Your alert · 005930.KS RSI 14 at or above 70",
        f"Last 81,000 KRW, RSI 14 71.4 · {WHEN_EN}",
        "It fires again after moving back past RSI 68.",
    ),
    (Language.EN, AlertRule.RSI_BELOW): (
        "🎯 Your alert · 005930.KS RSI 14 at or below 30",
        f"Last 61,000 KRW, RSI 14 28.9 · {WHEN_EN}",
        "It fires again after moving back past RSI 32.",
    ),
    (Language.KO, AlertRule.ABOVE): (
        "🎯 내 알림 · 005930.KS 80,000 KRW 이상",
        "현재가 80,300 KRW · 2026-11-30 11:15 KST",
        "79,600 KRW을(를) 되돌아 넘은 뒤 다시 알립니다.",
    ),
    (Language.KO, AlertRule.BELOW): (
        "🎯 내 알림 · 005930.KS 70,000 KRW 이하",
        f"현재가 69,900 KRW · {WHEN_KO}",
        "70,350 KRW을(를) 되돌아 넘은 뒤 다시 알립니다.",
    ),
    (Language.KO, AlertRule.MOVE): (
        "🎯 내 알림 · 005930.KS 하루 3% 이상 변동",
        f"현재가 74,100 KRW (전일 종가 대비 -3.28%) · {WHEN_KO}",
        "2.5%을(를) 되돌아 넘은 뒤 다시 알립니다.",
    ),
    (Language.KO, AlertRule.RSI_ABOVE): (
        "🎯 내 알림 · 005930.KS RSI 14 70 이상",
        f"현재가 81,000 KRW, RSI 14 71.4 · {WHEN_KO}",
        "RSI 68을(를) 되돌아 넘은 뒤 다시 알립니다.",
    ),
    (Language.KO, AlertRule.RSI_BELOW): (
        "🎯 내 알림 · 005930.KS RSI 14 30 이하",
        f"현재가 61,000 KRW, RSI 14 28.9 · {WHEN_KO}",
        "RSI 32을(를) 되돌아 넘은 뒤 다시 알립니다.",
    ),
}


@pytest.mark.parametrize(("lang", "rule"), list(GOLDEN))
def test_fired_alert_golden(lang: Language, rule: AlertRule) -> None:
    reply = render_hit(lang, HITS[rule], SAMSUNG, Margins())
    assert tuple(to_plain(reply.text).split("\n")) == GOLDEN[(lang, rule)]
    [[(_label, data)]] = reply.buttons
    assert data == "ah|7"


def test_alert_list_golden() -> None:
    alerts = [
        alert(AlertRule.ABOVE, 80_000, 3),
        UserAlert(42, "005930.KS", AlertRule.MOVE, 3, armed=False, id=9),
        alert(AlertRule.RSI_BELOW, 30, 11),
    ]
    en = render_alerts(Language.EN, alerts, 20, {"005930.KS": "KRW"})
    assert to_plain(en.text).split("\n") == [
        "Your alerts (3/20)",
        "1. 005930.KS at or above 80,000 KRW",
        "2. 005930.KS moves 3% or more in a day (waiting to re-arm)",
        "3. 005930.KS RSI 14 at or below 30",
    ]
    assert [row[0] for row in en.buttons] == [
        ("Delete 1", "ad|3"),
        ("Delete 2", "ad|9"),
        ("Delete 3", "ad|11"),
    ]
    ko = render_alerts(Language.KO, alerts, 20, {"005930.KS": "KRW"})
    assert to_plain(ko.text).split("\n") == [
        "내 알림 (3/20)",
        "1. 005930.KS 80,000 KRW 이상",
        "2. 005930.KS 하루 3% 이상 변동 (재설정 대기)",
        "3. 005930.KS RSI 14 30 이하",
    ]
    assert ko.buttons[0][0] == ("1번 삭제", "ad|3")
    assert to_plain(render_alerts(Language.KO, [], 20).text).startswith("설정한 알림이 없습니다.")


def _rating() -> Rating:
    return Rating(
        "005930.KS", SignalType.GOLDEN_CROSS, 20, 11, 0.64, 0.031, 0.025, 0.01, 0.021, 2.1, -0.08, "B",
        datetime(2016, 11, 30, tzinfo=UTC), SESSION,
    )  # fmt: skip


def _digest_items() -> list[DigestItem]:
    golden = SignalEvent("005930.KS", SignalType.GOLDEN_CROSS, Interval.D1, SESSION, 74_100, {}, 1.0)
    spike = SignalEvent("005930.KS", SignalType.VOLUME_SPIKE, Interval.D1, SESSION, 74_100, {}, 1.0)
    return [
        DigestItem(SAMSUNG, event=golden, rating=_rating()),
        DigestItem(SAMSUNG, event=spike),
        DigestItem(SAMSUNG, hit=HITS[AlertRule.MOVE]),
        DigestItem(SAMSUNG, hit=HITS[AlertRule.BELOW]),
    ]


def test_digest_golden_en() -> None:
    text = to_plain(render_digest(Language.EN, _digest_items()).text)
    assert text.split("\n") == [
        f"🔔 4 alerts · {WHEN_EN}",
        "▲ Golden cross · 005930.KS 74,100 KRW",
        "    20-day hit rate 64% over 10y (n=11), grade B",
        "● Volume spike · 005930.KS 74,100 KRW",
        "    no track record yet",
        "🎯 005930.KS moves 3% or more in a day · 74,100 KRW (-3.28%)",
        "🎯 005930.KS at or below 70,000 KRW · 69,900 KRW",
    ]


def test_digest_golden_ko() -> None:
    text = to_plain(render_digest(Language.KO, _digest_items()).text)
    assert text.split("\n") == [
        f"🔔 알림 4건 · {WHEN_KO}",
        "▲ 골든 크로스 · 005930.KS 74,100 KRW",
        "    20일 적중률 64% (최근 10년, n=11), 등급 B",
        "● 거래량 급증 · 005930.KS 74,100 KRW",
        "    아직 성과 기록 없음",
        "🎯 005930.KS 하루 3% 이상 변동 · 74,100 KRW (-3.28%)",
        "🎯 005930.KS 70,000 KRW 이하 · 69,900 KRW",
    ]
