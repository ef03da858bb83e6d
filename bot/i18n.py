"""Korean and English texts. `t(lang, key, **kw)`; placeholders are filled with already-escaped values."""

from __future__ import annotations

from bot import i18n_alerts
from core.labels import signal_label
from core.types import Language, SignalType

_EN: dict[str, str] = {
    "start": (
        "<b>finsignal</b> watches markets and alerts you on technical signals "
        "(SMA 200 breaks, golden/death crosses, RSI, volume spikes), each with its backtested track record.\n"
        "Try /price FCO2.DE or /watch KAU25. /help lists every command."
    ),
    "help": (
        "<b>Commands</b>\n"
        "/price SYMBOL - last price, change, ranges, SMA 200, RSI\n"
        "/watch SYMBOL [1m|5m|15m] [signals] - get alerts for a symbol (daily bars unless a timeframe)\n"
        "/unwatch SYMBOL [1m|5m|15m|1d] - stop alerts for a symbol (or one timeframe)\n"
        "/watchlist (or /list) - your watched symbols\n"
        "/signals SYMBOL - indicator state, recent signals, ratings\n"
        "/chart SYMBOL [3m|6m|1y|5y] - candlestick chart\n"
        "/chart SYMBOL 1d|5d 1m|5m|15m - intraday candles of the last session or 5 sessions\n"
        "/news [SYMBOL|industry] - latest headlines\n"
        "/alert SYMBOL above|below PRICE, move N%, rsi above|below N - your own alerts; /alerts lists them\n"
        "/settings - signal types, quiet hours, silent delivery, news alerts\n"
        "/lang ko|en - language\n"
        "In a private chat you can also write $FCO2.DE in any message."
    ),
    "help_admin": ("\n<b>Admin</b>\n/backtest SYMBOL\n/status\n/broadcast TEXT\n/premium add|remove CHAT_ID"),
    "usage": "Usage: {usage}",
    "unknown_command": "Unknown command. See /help.",
    "unknown_symbol": "Unknown symbol: <code>{symbol}</code>.",
    "did_you_mean": " Did you mean: {suggestions}?",
    "not_admin": "Sorry, this command is for the bot's administrators only.",
    "not_group_admin": "Only the group's administrators can change its watchlist.",
    "rate_limited": "Too many commands. Please wait a minute.",
    "stale_button": "This button is no longer active.",
    "try_again_shortly": "The service is busy storing data. Please try again shortly.",
    "lang_set": "Language set to English.",
    "watch_added": "Watching <b>{symbol}</b> ({name}) for: {signals}.",
    "all_types": "every signal type ({n})",
    "follows_front": "{alias} follows the front vintage: {symbol} now; your watch moves when it rolls.",
    "watch_limit": "Your watchlist is full ({limit} symbols). /unwatch one first.",
    "unwatched": "Stopped watching <b>{symbol}</b>.",
    "not_watching": "You are not watching <b>{symbol}</b>.",
    "watchlist_empty": "Your watchlist is empty. Add one with /watch SYMBOL.",
    "watchlist_title": "<b>Watchlist</b> ({count}/{limit})",
    "muted": "Muted {signal} for {symbol}.",
    "unknown_signal": "Unknown signal type: <code>{name}</code>. Known: {known}.",
    "no_data": "No data for <b>{symbol}</b> yet. Try again later.",
    "quote_unavailable": "No price for <b>{symbol}</b> right now. Try again later.",
    "news_unavailable": "News is not available yet.",
    "news_empty": "No headlines found.",
    "service_unavailable": "This is not available yet.",
    "error": "Sorry, something went wrong. The error was logged.",
    "settings": (
        "<b>Settings</b>\nSignals: {signals}\nQuiet hours: {quiet}\nSilent delivery: {silent}\n"
        "News alerts: {news}\nLanguage: {language}\nTier: {tier}\n\n"
        "/settings signals all|TYPE,TYPE\n/settings quiet 22-7 hold|drop\n/settings quiet off\n"
        "/settings silent on|off\n/settings news on|off"
    ),
    "settings_saved": "Settings saved.",
    "news_alerts_on": (
        "News alerts are on: headlines about your watched symbols "
        "(at most {limit} an hour, quiet hours apply)."
    ),
    "news_alerts_off": "News alerts are off.",
    "btn_news_on": "Turn news alerts on",
    "btn_news_off": "Turn news alerts off",
    "news_alert_title": "<b>News</b> · <b>{symbol}</b> · {source} · {when}",
    "quiet_off": "off",
    "on": "on",
    "off": "off",
    "broadcast_queued": "Broadcast queued for {count} chats.",
    "premium_set": "Chat {chat_id} is now {tier}.",
    "chat_not_found": "Unknown chat: <code>{chat_id}</code>.",
    "price_title": "<b>{symbol}</b> {name}",
    "day_range": "Day",
    "stored_close": "last stored close ({source})",
    "cached": "{source}, {age} old",
    "close": "Close",
    "muted_label": "muted",
    "range_52w": "52w",
    "signals_title": "<b>{symbol}</b> signals",
    "recent_events": "<b>Recent signals</b>",
    "no_events": "No recent signals.",
    "ratings": "<b>Backtest ratings</b>",
    "no_ratings": "No backtest ratings yet.",
    "alert_title": "{arrow} <b>{signal}</b> · <b>{symbol}</b> {name}",
    "close_at": "close",
    "volume": "Volume",
    "volume_vs_avg": "({multiple}× {n}-day avg)",
    "why_breakout": "Closed above SMA {n} ({sma}): {diff}",
    "why_breakdown": "Closed below SMA {n} ({sma}): {diff}",
    "why_golden": "SMA {f} ({fast}) crossed above SMA {s} ({slow}): {diff}",
    "why_death": "SMA {f} ({fast}) crossed below SMA {s} ({slow}): {diff}",
    "why_overbought": "RSI {n} at {rsi}, above {level} (overbought)",
    "why_oversold": "RSI {n} at {rsi}, below {level} (oversold)",
    "why_volume": "Volume {volume}, {multiple}× its {n}-day average ({avg})",
    "why_bb_upper": "Closed above the upper Bollinger band ({n}, {k}σ) at {band}: {diff}",
    "why_bb_lower": "Closed below the lower Bollinger band ({n}, {k}σ) at {band}: {diff}",
    "why_bb_squeeze_up": (
        "Bands at their narrowest in {m} bars, then a close above the upper band ({band}): {diff}"
    ),
    "why_bb_squeeze_down": (
        "Bands at their narrowest in {m} bars, then a close below the lower band ({band}): {diff}"
    ),
    "why_high_52w": "Closed above the 52-week high ({level}): {diff}",
    "why_low_52w": "Closed below the 52-week low ({level}): {diff}",
    "why_pattern_top": (
        "Closed below the neckline ({neck}), pattern {start} to {end}; target {target} ({diff})"
    ),
    "why_pattern_bottom": (
        "Closed above the neckline ({neck}), pattern {start} to {end}; target {target} ({diff})"
    ),
    "why_foreign_streak": "Foreigners net buyers {n} sessions in a row (today {foreign})",
    "why_smart_money": "Foreigners {foreign} and institutions {inst} both net buyers",
    "listing_halted": "⏸ Trading halted: no signals until trading resumes",
    "btn_unwatch": "Unwatch {symbol}",
    "btn_mute": "Mute {signal}",
    "btn_mute_all": "Mute {symbol}",
    "btn_unmute_all": "Unmute {symbol}",
    "muted_all": "Muted every signal of {symbol}.",
    "unmuted_all": "Alerts for {symbol} are on again.",
    "briefing_title": "<b>finsignal briefing</b> {when}",
    "briefing_markets": "<b>Watched markets</b>",
    "briefing_carbon": "<b>Carbon</b>",
    "briefing_signals": "<b>Signals of the day</b>",
    "briefing_news": "<b>Top news</b>",
    "briefing_weekly_title": "<b>finsignal weekly</b> {when}",
    "briefing_week_markets": "<b>The week in watched markets</b>",
    "briefing_week_signals": "<b>Signals of the week, and since</b>",
    "week": "week",
    "none": "none",
    "status_title": "<b>Status</b>",
    "backtest_no_data": (
        "No price history for <b>{symbol}</b> to backtest yet. Load it with /watch or import-csv."
    ),
    "chart_title": "{symbol} {name} · {period}",
    "period_3m": "3 months",
    "period_6m": "6 months",
    "period_1y": "1 year",
    "period_5y": "5 years",
    "period_1d": "last session",
    "period_5d": "last 5 sessions",
    "minute_candles": "{n}-minute candles",
    "no_intraday": (
        "No intraday bars stored for <b>{symbol}</b> yet. They come from KIS (Korean stocks): set "
        "FINSIGNAL_KIS_APP_KEY and FINSIGNAL_KIS_APP_SECRET, then run "
        "<code>finsignal fetch {symbol} --interval {interval} --days 5</code>; "
        "the live minute job keeps them up to date during the session."
    ),
    "timeframe": "{n}-minute bars",
    "why_breakout_bars": "Closed above the {n}-bar average ({sma}): {diff}",
    "why_breakdown_bars": "Closed below the {n}-bar average ({sma}): {diff}",
    "why_golden_bars": "{f}-bar average ({fast}) crossed above the {s}-bar average ({slow}): {diff}",
    "why_death_bars": "{f}-bar average ({fast}) crossed below the {s}-bar average ({slow}): {diff}",
    "why_volume_bars": "Volume {volume}, {multiple}× its {n}-bar average ({avg})",
    "intraday_rating": "{h}-bar hit rate {pct}% on {tf} (n={n}), grade {grade}",
    "intraday_rating_none": "No rating yet on {tf}: too little stored history to backtest",
    "watch_added_tf": "Watching <b>{symbol}</b> ({name}) on {tf} for: {signals}.",
    "unwatched_tf": "Stopped watching <b>{symbol}</b> on {tf}.",
    "not_watching_tf": "You are not watching <b>{symbol}</b> on {tf}.",
    "bad_timeframe": (
        "Unknown timeframe <code>{tf}</code>. Use 1m, 5m or 15m (minute bars), or 1d (daily, the default)."
    ),
    "intraday_krx_only": (
        "Minute-bar signals are for Korean stocks only; <b>{symbol}</b> can be watched on daily bars."
    ),
    "daily": "daily",
}

_KO: dict[str, str] = {
    "start": (
        "<b>finsignal</b>은 시장을 지켜보다가 기술적 신호"
        "(200일선 돌파, 골든/데드 크로스, RSI, 거래량 급증)가 나오면 백테스트 성과와 함께 알려 드립니다.\n"
        "/price FCO2.DE 또는 /watch KAU25 를 입력해 보세요. 전체 명령은 /help."
    ),
    "help": (
        "<b>명령어</b>\n"
        "/price 종목 - 현재가, 등락, 범위, 200일선, RSI\n"
        "/watch 종목 [1m|5m|15m] [신호] - 종목 알림 받기 (주기를 주지 않으면 일봉)\n"
        "/unwatch 종목 [1m|5m|15m|1d] - 알림 해제 (한 주기만도 가능)\n"
        "/watchlist (또는 /list) - 관심 종목\n"
        "/signals 종목 - 지표 상태, 최근 신호, 백테스트 등급\n"
        "/chart 종목 [3m|6m|1y|5y] - 캔들 차트\n"
        "/chart 종목 1d|5d 1m|5m|15m - 최근 1거래일·5거래일 분봉 차트\n"
        "/news [종목|업종] - 최신 뉴스\n"
        "/alert 종목 above|below 가격, move N%, rsi above|below N - 내 알림; /alerts 목록\n"
        "/settings - 신호 종류, 방해 금지 시간, 무음 전송, 뉴스 알림\n"
        "/lang ko|en - 언어\n"
        "개인 채팅에서는 메시지 안에 $FCO2.DE 처럼 써도 됩니다."
    ),
    "help_admin": "\n<b>관리자</b>\n/backtest 종목\n/status\n/broadcast 내용\n/premium add|remove 채팅ID",
    "usage": "사용법: {usage}",
    "unknown_command": "알 수 없는 명령입니다. /help 를 참고하세요.",
    "unknown_symbol": "알 수 없는 종목: <code>{symbol}</code>.",
    "did_you_mean": " 혹시: {suggestions}?",
    "not_admin": "죄송합니다. 관리자 전용 명령입니다.",
    "not_group_admin": "그룹 관심 종목은 그룹 관리자만 바꿀 수 있습니다.",
    "rate_limited": "명령이 너무 많습니다. 잠시 후 다시 시도하세요.",
    "stale_button": "더 이상 사용할 수 없는 버튼입니다.",
    "try_again_shortly": "지금은 데이터를 저장할 수 없습니다. 잠시 후 다시 시도하세요.",
    "lang_set": "언어를 한국어로 설정했습니다.",
    "watch_added": "<b>{symbol}</b> ({name}) 감시 시작: {signals}.",
    "all_types": "모든 신호 ({n}종)",
    "follows_front": "{alias}는 최근월물을 따릅니다: 지금은 {symbol}, 월물이 바뀌면 자동으로 옮겨 갑니다.",
    "watch_limit": "관심 종목이 가득 찼습니다 ({limit}개). 먼저 /unwatch 하세요.",
    "unwatched": "<b>{symbol}</b> 감시를 중단했습니다.",
    "not_watching": "<b>{symbol}</b>은(는) 관심 종목이 아닙니다.",
    "watchlist_empty": "관심 종목이 없습니다. /watch 종목 으로 추가하세요.",
    "watchlist_title": "<b>관심 종목</b> ({count}/{limit})",
    "muted": "{symbol}의 {signal} 알림을 껐습니다.",
    "unknown_signal": "알 수 없는 신호: <code>{name}</code>. 가능: {known}.",
    "no_data": "<b>{symbol}</b> 데이터가 아직 없습니다. 나중에 다시 시도하세요.",
    "quote_unavailable": "<b>{symbol}</b> 시세를 지금 가져올 수 없습니다. 나중에 다시 시도하세요.",
    "news_unavailable": "뉴스 기능은 아직 준비 중입니다.",
    "news_empty": "뉴스가 없습니다.",
    "service_unavailable": "아직 준비 중입니다.",
    "error": "죄송합니다. 오류가 발생해 기록했습니다.",
    "settings": (
        "<b>설정</b>\n신호: {signals}\n방해 금지 시간: {quiet}\n무음 전송: {silent}\n"
        "뉴스 알림: {news}\n언어: {language}\n등급: {tier}\n\n"
        "/settings signals all|신호,신호\n/settings quiet 22-7 hold|drop\n/settings quiet off\n"
        "/settings silent on|off\n/settings news on|off"
    ),
    "settings_saved": "설정을 저장했습니다.",
    "news_alerts_on": (
        "뉴스 알림을 켰습니다: 관심 종목 관련 뉴스 (시간당 최대 {limit}건, 방해 금지 시간 적용)."
    ),
    "news_alerts_off": "뉴스 알림을 껐습니다.",
    "btn_news_on": "뉴스 알림 켜기",
    "btn_news_off": "뉴스 알림 끄기",
    "news_alert_title": "<b>뉴스</b> · <b>{symbol}</b> · {source} · {when}",
    "quiet_off": "끔",
    "on": "켬",
    "off": "끔",
    "broadcast_queued": "{count}개 채팅에 공지를 예약했습니다.",
    "premium_set": "채팅 {chat_id} 등급: {tier}.",
    "chat_not_found": "알 수 없는 채팅: <code>{chat_id}</code>.",
    "price_title": "<b>{symbol}</b> {name}",
    "day_range": "일중",
    "stored_close": "저장된 마지막 종가 ({source})",
    "cached": "{source}, {age} 전",
    "close": "종가",
    "muted_label": "꺼짐",
    "range_52w": "52주",
    "signals_title": "<b>{symbol}</b> 신호",
    "recent_events": "<b>최근 신호</b>",
    "no_events": "최근 신호가 없습니다.",
    "ratings": "<b>백테스트 등급</b>",
    "no_ratings": "백테스트 등급이 아직 없습니다.",
    "alert_title": "{arrow} <b>{symbol}</b> {name} · <b>{signal}</b>",
    "close_at": "마감",
    "volume": "거래량",
    "volume_vs_avg": "({n}일 평균의 {multiple}배)",
    "why_breakout": "종가가 {n}일 이동평균({sma}) 위로 마감: {diff}",
    "why_breakdown": "종가가 {n}일 이동평균({sma}) 아래로 마감: {diff}",
    "why_golden": "{f}일 이동평균({fast})이 {s}일 이동평균({slow})을 상향 돌파: {diff}",
    "why_death": "{f}일 이동평균({fast})이 {s}일 이동평균({slow})을 하향 돌파: {diff}",
    "why_overbought": "RSI {n}: {rsi}, {level} 이상 (과매수)",
    "why_oversold": "RSI {n}: {rsi}, {level} 이하 (과매도)",
    "why_volume": "거래량 {volume}, {n}일 평균({avg})의 {multiple}배",
    "why_bb_upper": "종가가 볼린저 밴드({n}일, {k}σ) 상단({band}) 위로 마감: {diff}",
    "why_bb_lower": "종가가 볼린저 밴드({n}일, {k}σ) 하단({band}) 아래로 마감: {diff}",
    "why_bb_squeeze_up": "밴드 폭이 {m}일 중 최저, 이어서 종가가 상단({band}) 위로 마감: {diff}",
    "why_bb_squeeze_down": "밴드 폭이 {m}일 중 최저, 이어서 종가가 하단({band}) 아래로 마감: {diff}",
    "why_high_52w": "종가가 52주 최고가({level}) 위로 마감: {diff}",
    "why_low_52w": "종가가 52주 최저가({level}) 아래로 마감: {diff}",
    "why_pattern_top": "종가가 넥라인({neck}) 아래로 마감, 패턴 {start}~{end} · 목표가 {target} ({diff})",
    "why_pattern_bottom": "종가가 넥라인({neck}) 위로 마감, 패턴 {start}~{end} · 목표가 {target} ({diff})",
    "why_foreign_streak": "외국인 {n}거래일 연속 순매수 (오늘 {foreign})",
    "why_smart_money": "외국인 {foreign}, 기관 {inst} 동반 순매수",
    "listing_halted": "⏸ 거래정지: 거래가 재개될 때까지 신호 없음",
    "btn_unwatch": "{symbol} 감시 해제",
    "btn_mute": "{signal} 끄기",
    "btn_mute_all": "{symbol} 알림 끄기",
    "btn_unmute_all": "{symbol} 알림 켜기",
    "muted_all": "{symbol}의 모든 신호 알림을 껐습니다.",
    "unmuted_all": "{symbol} 알림을 다시 켰습니다.",
    "briefing_title": "<b>finsignal 브리핑</b> {when}",
    "briefing_markets": "<b>관심 시장</b>",
    "briefing_carbon": "<b>탄소 배출권</b>",
    "briefing_signals": "<b>오늘의 신호</b>",
    "briefing_news": "<b>주요 뉴스</b>",
    "briefing_weekly_title": "<b>finsignal 주간 브리핑</b> {when}",
    "briefing_week_markets": "<b>관심 시장의 한 주</b>",
    "briefing_week_signals": "<b>이번 주 신호와 그 뒤</b>",
    "week": "주간",
    "none": "없음",
    "status_title": "<b>상태</b>",
    "backtest_no_data": (
        "<b>{symbol}</b>은(는) 백테스트할 가격 이력이 아직 없습니다. /watch 또는 import-csv 로 불러오세요."
    ),
    "chart_title": "{symbol} {name} · {period}",
    "period_3m": "3개월",
    "period_6m": "6개월",
    "period_1y": "1년",
    "period_5y": "5년",
    "period_1d": "최근 1거래일",
    "period_5d": "최근 5거래일",
    "minute_candles": "{n}분봉",
    "no_intraday": (
        "<b>{symbol}</b>의 분봉이 아직 저장되어 있지 않습니다. 분봉은 KIS(국내 주식)에서 받습니다: "
        "FINSIGNAL_KIS_APP_KEY 와 FINSIGNAL_KIS_APP_SECRET 을 설정한 뒤 "
        "<code>finsignal fetch {symbol} --interval {interval} --days 5</code> 를 실행하세요. "
        "장중에는 분봉 수집 작업이 계속 채웁니다."
    ),
    "timeframe": "{n}분봉",
    "why_breakout_bars": "종가가 {n}봉 이동평균({sma}) 위로 마감: {diff}",
    "why_breakdown_bars": "종가가 {n}봉 이동평균({sma}) 아래로 마감: {diff}",
    "why_golden_bars": "{f}봉 이동평균({fast})이 {s}봉 이동평균({slow})을 상향 돌파: {diff}",
    "why_death_bars": "{f}봉 이동평균({fast})이 {s}봉 이동평균({slow})을 하향 돌파: {diff}",
    "why_volume_bars": "거래량 {volume}, {n}봉 평균({avg})의 {multiple}배",
    "intraday_rating": "{tf} {h}봉 적중률 {pct}% (n={n}), 등급 {grade}",
    "intraday_rating_none": "{tf} 등급 아직 없음: 백테스트할 저장 이력이 부족합니다",
    "watch_added_tf": "<b>{symbol}</b> ({name}) {tf} 감시 시작: {signals}.",
    "unwatched_tf": "<b>{symbol}</b> {tf} 감시를 중단했습니다.",
    "not_watching_tf": "<b>{symbol}</b>은(는) {tf} 관심 종목이 아닙니다.",
    "bad_timeframe": "알 수 없는 주기 <code>{tf}</code>. 1m, 5m, 15m(분봉) 또는 1d(일봉, 기본값)를 쓰세요.",
    "intraday_krx_only": "분봉 신호는 한국 주식만 됩니다. <b>{symbol}</b>은(는) 일봉으로 감시할 수 있습니다.",
    "daily": "일봉",
}

_EN.update(i18n_alerts.EN)  # issue 24: own alerts and digests
_KO.update(i18n_alerts.KO)
_TEXTS = {Language.EN: _EN, Language.KO: _KO}


def t(lang: Language, key: str, **kwargs: object) -> str:
    """The text `key` in `lang` (English when missing), formatted with `kwargs`."""
    template = _TEXTS[lang].get(key) or _EN[key]
    return template.format(**kwargs) if kwargs else template


def signal_name(lang: Language, signal: SignalType) -> str:
    return signal_label(signal, lang)  # a Language is the str 'en' / 'ko' itself


def language_for(code: str | None, default: str) -> Language:
    """The chat language from a Telegram client's language_code ('ko-KR' -> ko), else the default."""
    if code and code.lower().startswith("ko"):
        return Language.KO
    return Language(default)
