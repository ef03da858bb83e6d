"""The command table shared by Telegram and the console."""

from __future__ import annotations

from dataclasses import dataclass

from bot import admin, asking, commands, etf, investors, user_alerts
from bot.commands import Command


@dataclass(frozen=True, slots=True)
class Spec:
    fn: Command
    admin: bool = False
    manage: bool = False  # changes the chat's state: in groups only group admins may run it
    menu: bool = True


COMMANDS: dict[str, Spec] = {
    "start": Spec(commands.cmd_start),
    "help": Spec(commands.cmd_help),
    "lang": Spec(commands.cmd_lang, manage=True),
    "price": Spec(commands.cmd_price),
    "watch": Spec(commands.cmd_watch, manage=True),
    "unwatch": Spec(commands.cmd_unwatch, manage=True),
    "watchlist": Spec(commands.cmd_watchlist),
    "list": Spec(commands.cmd_watchlist, menu=False),  # what many bots call it
    "signals": Spec(commands.cmd_signals),
    "chart": Spec(commands.cmd_chart),
    "news": Spec(commands.cmd_news),
    "investors": Spec(investors.cmd_investors),
    "etf": Spec(etf.cmd_etf),
    "settings": Spec(commands.cmd_settings, manage=True),
    "alert": Spec(user_alerts.cmd_alert, manage=True),  # issue 24
    "alerts": Spec(user_alerts.cmd_alerts),
    "ask": Spec(asking.cmd_ask),  # issue 23
    "backtest": Spec(admin.cmd_backtest, admin=True, menu=False),
    "status": Spec(admin.cmd_status, admin=True, menu=False),
    "broadcast": Spec(admin.cmd_broadcast, admin=True, menu=False),
    "premium": Spec(admin.cmd_premium, admin=True, menu=False),
}

MENU_EN: dict[str, str] = {
    "start": "About finsignal",
    "help": "All commands",
    "price": "Price of a symbol",
    "watch": "Get alerts for a symbol",
    "unwatch": "Stop alerts for a symbol",
    "watchlist": "Your watched symbols",
    "signals": "Indicators, signals and ratings",
    "chart": "Candlestick chart",
    "news": "Latest headlines",
    "investors": "Who bought a Korean stock",
    "etf": "What a Korean ETF holds",
    "settings": "Signals, quiet hours, silent",
    "alert": "Your own price, move or RSI alert",
    "alerts": "Your own alerts",
    "ask": "Ask in plain words",
    "lang": "Language ko|en",
    "flows": "Cross-market fund flows",  # issue 22: handled by bot/flows.py
}
MENU_KO: dict[str, str] = {
    "start": "finsignal 소개",
    "help": "전체 명령어",
    "price": "종목 시세",
    "watch": "종목 알림 받기",
    "unwatch": "종목 알림 해제",
    "watchlist": "관심 종목",
    "signals": "지표, 신호, 등급",
    "chart": "캔들 차트",
    "news": "최신 뉴스",
    "investors": "투자자별 순매수 (국내 주식)",
    "etf": "ETF 구성 종목과 변화",
    "settings": "신호, 방해 금지, 무음",
    "alert": "가격·변동률·RSI 알림 설정",
    "alerts": "내 알림 목록",
    "ask": "자연어로 질문",
    "lang": "언어 ko|en",
    "flows": "시장 간 자금 흐름",  # issue 22: handled by bot/flows.py
}


def split_command(text: str) -> tuple[str, tuple[str, ...], str] | None:
    """'/watch@finsignal_bot KAU25 rsi' -> ('watch', ('KAU25', 'rsi'), 'KAU25 rsi'); None if not a command."""
    text = text.strip()
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, rest = text.partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    return name, tuple(rest.split()), rest.strip()
