"""Alerts of one bar close for one chat folded into one message (issue 24, `alert_delivery=digest`).

Into the outbox exactly once still: the digest row's dedup_key is `digest:{hash of the alerts' keys}:
{chat}`, and each folded alert's own row (`alert:{event}:{chat}`, `ualert:{id}:{bar}`) goes in beside
it in the same transaction as `skipped` ("in digest"; no copy of the text the digest holds), so
publishing the same close again enqueues nothing new, and an alert already enqueued on its own is
never repeated in a digest. The sender only ever sees ordinary pending rows: its in-flight states are
untouched.

A chat with one alert in the close keeps its row in the event's fan-out (`core.types.Fanout`); only
the chats with two or more are taken out and folded. The chats that get the same signal alerts get
the same digest: one more fan-out (rendered once per language, `digest:{hash}` its key); a digest with
a chat's own alerts in it is that chat's row alone. So a close of thousands of chats stays a few
fan-outs plus a digest row per chat with own alerts.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace

from bot.views_user_alert import DigestItem, render_digest
from core.ports import OutboxRepo
from core.types import DeliveryStatus, Fanout, Language, OutboxMessage, Recipient

NOTE = "in digest"  # last_error of a folded alert's own (skipped) row


@dataclass(frozen=True, slots=True)
class EventPlan:
    """A signal event's fan-out (one text per language, its recipients) and its digest entry;
    `languages[v]` is the language of text version `v`."""

    fanout: Fanout
    item: DigestItem
    languages: tuple[Language, ...]


@dataclass(frozen=True, slots=True)
class Planned:
    """A rendered one-alert row with what a digest needs to list it again."""

    message: OutboxMessage
    item: DigestItem
    lang: Language


# one alert of a chat: an event's fan-out with the chat's recipient entry, or an own alert's row
_Entry = tuple[EventPlan, Recipient] | Planned


def digest_key(chat_id: int, keys: Sequence[str]) -> str:
    """The dedup key of a digest with own alerts (their keys are the chat's own)."""
    return f"{_shared_key(keys)}:{chat_id}"


def _shared_key(keys: Sequence[str]) -> str:
    """The key of the digest fan-out of the alerts `keys`; its rows are `{key}:{chat}`."""
    return "digest:" + hashlib.sha1("\n".join(sorted(keys)).encode()).hexdigest()[:20]


def _key(entry: _Entry, chat_id: int) -> str:
    return entry.message.dedup_key if isinstance(entry, Planned) else f"{entry[0].fanout.key}:{chat_id}"


async def fold(
    outbox: OutboxRepo,
    plans: Sequence[EventPlan],
    hits: Sequence[Planned],
    unsent: Set[str] = frozenset(),
) -> tuple[list[Fanout], list[OutboxMessage]]:
    """What to enqueue for one close: per chat, one digest (plus its folded rows, skipped) when the
    chat has two or more alerts not yet enqueued, else its one alert as it is. `unsent`: keys of
    fan-outs none of whose rows can be in the outbox (events this close created): not looked up."""
    counts = Counter(r[0] for p in plans for r in p.fanout.recipients)
    counts.update(h.message.chat_id for h in hits)
    many = {cid for cid, n in counts.items() if n > 1}
    entries: dict[int, list[_Entry]] = {}
    fanouts: list[Fanout] = []
    for plan in plans:
        keep = []
        for r in plan.fanout.recipients:
            if r[0] in many:
                entries.setdefault(r[0], []).append((plan, r))
            else:
                keep.append(r)
        if keep:
            fanouts.append(_part(plan.fanout, keep))
    messages: list[OutboxMessage] = []
    for hit in hits:
        if hit.message.chat_id in many:
            entries.setdefault(hit.message.chat_id, []).append(hit)
        else:
            messages.append(hit.message)
    if not entries:
        return fanouts, messages
    asked = [
        _key(e, cid)
        for cid, mine in entries.items()
        for e in mine
        if isinstance(e, Planned) or e[0].fanout.key not in unsent
    ]
    existing = await outbox.existing_keys(asked) if asked else set()
    alone: dict[int, tuple[EventPlan, list[Recipient]]] = {}
    folded: dict[int, tuple[EventPlan, list[Recipient]]] = {}
    texts: dict[tuple[Language, tuple[int, ...]], str] = {}
    shared: dict[tuple[int, ...], _Shared] = {}
    for cid, mine in entries.items():
        fresh = [e for e in mine if _key(e, cid) not in existing] if existing else mine
        if len(fresh) > 1 and not any(isinstance(e, Planned) for e in fresh):
            _share(cid, [e for e in fresh if not isinstance(e, Planned)], shared, texts)
        elif len(fresh) > 1:
            messages.append(_digest(cid, [(e, _key(e, cid)) for e in fresh], texts))
        for entry in fresh:
            if isinstance(entry, Planned):
                messages.append(entry.message if len(fresh) == 1 else _skipped(entry.message))
                continue
            plan, r = entry
            into = alone if len(fresh) == 1 else folded
            into.setdefault(id(plan), (plan, []))[1].append(r)
    fanouts += [_part(plan.fanout, rs) for plan, rs in alone.values()]
    fanouts += [_part(plan.fanout, rs, folded=True) for plan, rs in folded.values()]
    fanouts += [
        Fanout(d.key, tuple(d.texts), (None,) * len(d.texts), sorted(d.recipients)) for d in shared.values()
    ]
    return fanouts, messages


def _part(f: Fanout, recipients: list[Recipient], *, folded: bool = False) -> Fanout:
    """`f` to `recipients` alone; `folded`: rows that only record that a digest lists the alert
    (skipped; no text, the digest carries it; no buttons). Built, not `dataclasses.replace`d: a close
    makes thousands."""
    if folded:
        blank = ("",) * len(f.texts), (None,) * len(f.markups)
        return Fanout(f.key, *blank, recipients, f.event_id, f.kind, DeliveryStatus.SKIPPED, NOTE)
    return Fanout(f.key, f.texts, f.markups, recipients, f.event_id, f.kind, f.status, f.note)


@dataclass(slots=True)
class _Shared:
    """A digest of signal alerts only, being gathered: its text per language, its recipients."""

    key: str
    versions: dict[Language, int]
    texts: list[str]
    recipients: list[Recipient]


def _share(
    chat_id: int,
    fresh: Sequence[tuple[EventPlan, Recipient]],
    shared: dict[tuple[int, ...], _Shared],
    texts: dict[tuple[Language, tuple[int, ...]], str],
) -> None:
    """Add `chat_id` to the digest fan-out of the signal alerts `fresh` (created on first use)."""
    plan, (_, version, silent, hold, premium) = fresh[0]
    lang = plan.languages[version]
    # the same alerts, the same digest: by the plans' ids (they live for the whole fold), so that its
    # key, a hash of the alerts' keys, is made once per set of alerts and not once per chat
    plans = tuple(sorted(id(p) for p, _ in fresh))
    digest = shared.get(plans)
    if digest is None:
        digest = shared[plans] = _Shared(_shared_key([p.fanout.key for p, _ in fresh]), {}, [], [])
    index = digest.versions.get(lang)
    if index is None:
        items = [p.item for p, _ in fresh]
        text = texts.get(seen := (lang, tuple(id(i) for i in items)))
        if text is None:
            text = texts[seen] = render_digest(lang, items).text
        index = digest.versions[lang] = len(digest.texts)
        digest.texts.append(text)
    digest.recipients.append((chat_id, index, silent, hold, premium))


def _skipped(message: OutboxMessage) -> OutboxMessage:
    return replace(message, text="", status=DeliveryStatus.SKIPPED, last_error=NOTE, reply_markup=None)


def _digest(
    chat_id: int, fresh: Sequence[tuple[_Entry, str]], texts: dict[tuple[Language, tuple[int, ...]], str]
) -> OutboxMessage:
    """The digest row of one chat. `texts`: digests rendered so far, by language and items (the chats
    watching the same instrument get the same digest: rendered once; the items live for the whole
    fold, so their ids are stable)."""
    first = fresh[0][0]
    if isinstance(first, Planned):
        message = first.message
        lang, silent, hold, premium = first.lang, message.silent, message.not_before, message.premium
    else:
        plan, (_, version, silent, hold, premium) = first
        lang = plan.languages[version]
    items = [e.item if isinstance(e, Planned) else e[0].item for e, _ in fresh]
    text = texts.get(seen := (lang, tuple(id(i) for i in items)))
    if text is None:
        text = texts[seen] = render_digest(lang, items).text
    return OutboxMessage(
        chat_id=chat_id,
        dedup_key=digest_key(chat_id, [k for _, k in fresh]),
        text=text,
        kind="alert",
        silent=silent,
        not_before=hold,
        premium=premium,
    )
