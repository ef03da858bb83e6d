"""Korean and English texts of chats' own alerts and of digests (issue 24); merged into `bot.i18n`."""

from __future__ import annotations

EN: dict[str, str] = {
    "alert_usage": (
        "/alert SYMBOL above|below PRICE\n/alert SYMBOL move N%\n/alert SYMBOL rsi above|below N\n"
        "/alerts - your alerts, with buttons to delete them"
    ),
    "alert_bad_level": "The level must be a positive number: <code>{value}</code>.",
    "alert_bad_rsi": "An RSI level lies between 0 and 100: <code>{value}</code>.",
    "alert_set": "Alert set: {what}.",
    "alert_set_waiting": (
        "Alert set: {what}.\nIt is already there ({now}): the alert fires when it crosses again, "
        "after moving back past {rearm}."
    ),
    "alert_exists": "You already have this alert: {what}.",
    "alert_limit": "This chat has {limit} alerts, the most it may set. Delete one under /alerts first.",
    "alerts_empty": "No alerts yet. Set one with /alert SYMBOL above PRICE (see /help).",
    "alerts_title": "<b>Your alerts</b> ({count}/{limit})",
    "alert_waiting": "waiting to re-arm",
    "alert_deleted": "Alert deleted: {what}.",
    "alert_gone": "That alert no longer exists.",
    "btn_alert_delete": "Delete {n}",
    "rule_above": "<b>{symbol}</b> at or above {level}",
    "rule_below": "<b>{symbol}</b> at or below {level}",
    "rule_move": "<b>{symbol}</b> moves {level}% or more in a day",
    "rule_rsi_above": "<b>{symbol}</b> RSI 14 at or above {level}",
    "rule_rsi_below": "<b>{symbol}</b> RSI 14 at or below {level}",
    "hit_title": "🎯 <b>Your alert</b> · {what}",
    "hit_price": "{label} {price} · {when}",
    "hit_move": "{label} {price} ({move} on the previous close) · {when}",
    "hit_rsi": "{label} {price}, RSI 14 {rsi} · {when}",
    "hit_rearm": "It fires again after moving back past {rearm}.",
    "last": "Last",
    "digest_title": "🔔 <b>{n} alerts</b> · {when}",
    "no_rating": "no track record yet",
}

KO: dict[str, str] = {
    "alert_usage": (
        "/alert 종목 above|below 가격\n/alert 종목 move N%\n/alert 종목 rsi above|below N\n"
        "/alerts - 내 알림 (버튼으로 삭제)"
    ),
    "alert_bad_level": "기준값은 양수여야 합니다: <code>{value}</code>.",
    "alert_bad_rsi": "RSI 기준은 0에서 100 사이입니다: <code>{value}</code>.",
    "alert_set": "알림을 설정했습니다: {what}.",
    "alert_set_waiting": (
        "알림을 설정했습니다: {what}.\n이미 그 위치에 있습니다 ({now}): {rearm}을(를) 되돌아 넘은 뒤 "
        "다시 도달하면 알립니다."
    ),
    "alert_exists": "이미 있는 알림입니다: {what}.",
    "alert_limit": "이 채팅의 알림이 최대 {limit}개입니다. 먼저 /alerts 에서 하나를 삭제하세요.",
    "alerts_empty": "설정한 알림이 없습니다. /alert 종목 above 가격 으로 추가하세요 (/help 참고).",
    "alerts_title": "<b>내 알림</b> ({count}/{limit})",
    "alert_waiting": "재설정 대기",
    "alert_deleted": "알림을 삭제했습니다: {what}.",
    "alert_gone": "이미 없는 알림입니다.",
    "btn_alert_delete": "{n}번 삭제",
    "rule_above": "<b>{symbol}</b> {level} 이상",
    "rule_below": "<b>{symbol}</b> {level} 이하",
    "rule_move": "<b>{symbol}</b> 하루 {level}% 이상 변동",
    "rule_rsi_above": "<b>{symbol}</b> RSI 14 {level} 이상",
    "rule_rsi_below": "<b>{symbol}</b> RSI 14 {level} 이하",
    "hit_title": "🎯 <b>내 알림</b> · {what}",
    "hit_price": "{label} {price} · {when}",
    "hit_move": "{label} {price} (전일 종가 대비 {move}) · {when}",
    "hit_rsi": "{label} {price}, RSI 14 {rsi} · {when}",
    "hit_rearm": "{rearm}을(를) 되돌아 넘은 뒤 다시 알립니다.",
    "last": "현재가",
    "digest_title": "🔔 <b>알림 {n}건</b> · {when}",
    "no_rating": "아직 성과 기록 없음",
}
