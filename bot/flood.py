"""Flood control for the outbox: a 429 pauses the chat it came for; only a global flood pauses all.

Telegram answers both a per-chat flood (too many messages to one chat or group) and the bot-wide
limit with the same 429 `retry_after`. They differ in what else happens meanwhile: under a per-chat
flood the other chats' sends keep succeeding; under a global one every send fails. So a 429 pauses
its chat only, and `global_after` 429s in a row from distinct chats with no successful send in
between pause every chat. With 10% of sends refused at random the chance of four refusals in a row
is 1 in 10,000 sends, so per-chat floods almost never stall the others.
"""

from __future__ import annotations

import asyncio
import time


class FloodControl:
    """Per-chat and global pauses (monotonic seconds), kept in memory by one sender."""

    def __init__(self, *, global_after: int = 4, max_chats: int = 10_000) -> None:
        self.global_after = global_after
        self._chat_until: dict[int, float] = {}
        self._global_until = 0.0
        self._streak: set[int] = set()  # distinct chats refused since the last accepted send
        self._max_chats = max_chats
        self.chat_pauses = 0
        self.global_pauses = 0

    def refused(self, chat_id: int, retry_after: float) -> bool:
        """A 429 for `chat_id`; returns True when it is taken as a global flood (all paused)."""
        now = time.monotonic()
        until = now + retry_after + 0.1
        if len(self._chat_until) > self._max_chats:
            self._chat_until = {c: u for c, u in self._chat_until.items() if u > now}
        self._chat_until[chat_id] = max(self._chat_until.get(chat_id, 0.0), until)
        self.chat_pauses += 1
        self._streak.add(chat_id)
        if len(self._streak) >= self.global_after:
            self._global_until = max(self._global_until, until)
            self._streak.clear()
            self.global_pauses += 1
            return True
        return False

    def accepted(self) -> None:
        self._streak.clear()

    def chat_delay(self, chat_id: int) -> float:
        """Seconds until `chat_id` may be sent to again (0: now)."""
        return max(0.0, self._chat_until.get(chat_id, 0.0) - time.monotonic())

    async def wait_global(self) -> None:
        delay = self._global_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
