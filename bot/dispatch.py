"""The command table shared by Telegram and the console."""

from __future__ import annotations

from dataclasses import dataclass

from bot import admin, commands
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
    "settings": Spec(commands.cmd_settings, manage=True),
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
    "settings": "Signals, quiet hours, silent",
    "lang": "Language ko|en",
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
    "settings": "신호, 방해 금지, 무음",
    "lang": "언어 ko|en",
}


def split_command(text: str) -> tuple[str, tuple[str, ...], str] | None:
    """'/watch@finsignal_bot KAU25 rsi' -> ('watch', ('KAU25', 'rsi'), 'KAU25 rsi'); None if not a command."""
    text = text.strip()
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, rest = text.partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    return name, tuple(rest.split()), rest.strip()
