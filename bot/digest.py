"""Alerts of one bar close for one chat folded into one message (issue 24, `alert_delivery=digest`).

Into the outbox exactly once still: the digest row's dedup_key is `digest:{chat}:{hash of the alerts'
own keys}`, and each folded alert's own row (`alert:{event}:{chat}`, `ualert:{id}:{bar}`) goes in beside
it in the same `enqueue` transaction as `skipped` ("in digest:..."), so publishing the same close again
enqueues nothing new, and an alert already enqueued on its own is never repeated in a digest. The
sender only ever sees ordinary pending rows: its in-flight states are untouched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.views_user_alert import DigestItem, render_digest
from core.ports import OutboxRepo
from core.types import DeliveryStatus, Language, OutboxMessage


@dataclass(frozen=True, slots=True)
class Planned:
    """A rendered one-alert row with what a digest needs to list it again."""

    message: OutboxMessage
    item: DigestItem
    lang: Language


def digest_key(chat_id: int, keys: Sequence[str]) -> str:
    h = hashlib.sha1("\n".join(sorted(keys)).encode()).hexdigest()[:20]
    return f"digest:{chat_id}:{h}"


async def fold(outbox: OutboxRepo, planned: Sequence[Planned]) -> list[OutboxMessage]:
    """The rows to enqueue: per chat, one digest (plus its folded rows, skipped) when the chat has two
    or more alerts not yet enqueued, else the one alert as it is."""
    existing = await outbox.existing_keys([p.message.dedup_key for p in planned])
    by_chat: dict[int, list[Planned]] = {}
    for p in planned:
        if p.message.dedup_key not in existing:
            by_chat.setdefault(p.message.chat_id, []).append(p)
    out: list[OutboxMessage] = []
    for chat_id, mine in by_chat.items():
        if len(mine) == 1:
            out.append(mine[0].message)
            continue
        out += _digest(chat_id, mine)
    return out


def _digest(chat_id: int, mine: Sequence[Planned]) -> list[OutboxMessage]:
    key = digest_key(chat_id, [p.message.dedup_key for p in mine])
    first = mine[0].message
    reply = render_digest(mine[0].lang, [p.item for p in mine])
    digest = OutboxMessage(
        chat_id=chat_id,
        dedup_key=key,
        text=reply.text,
        kind="alert",
        silent=first.silent,
        not_before=first.not_before,
    )
    folded = [
        replace(p.message, status=DeliveryStatus.SKIPPED, last_error=f"in {key}", reply_markup=None)
        for p in mine
    ]
    return [digest, *folded]
