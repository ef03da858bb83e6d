"""Extractive summaries: whole sentences from the item's own text, at most `limit` characters."""

from __future__ import annotations

import re

from news.normalize import title_key

SUMMARY_MAX = 300
_ELLIPSIS = "…"
# A sentence ends at . ! ? 。 (and Korean '다.' is covered by '.') followed by space or the end.
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|(?<=[.!?。][\"'”’)])\s+")
_BOILERPLATE = re.compile(
    r"^(?:continue reading|read more|the post .* appeared first on .*|더보기|기사 ?원문)\.?$", re.IGNORECASE
)


def sentences(text: str) -> list[str]:
    """Split text into sentences (kept with their final punctuation)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def cut_at_word(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    room = limit - len(_ELLIPSIS)
    head = text[:room]
    space = head.rfind(" ")
    if space >= room // 2:
        head = head[:space]
    return head.rstrip(" ,;:-–—") + _ELLIPSIS


def summarize(text: str, title: str = "", limit: int = SUMMARY_MAX) -> str:
    """Leading sentences of `text` that fit in `limit` characters; "" if the text only repeats the title.

    A first sentence longer than `limit` is cut at a word boundary and ends with an ellipsis.
    """
    parts = [s for s in sentences(text) if not _BOILERPLATE.match(s)]
    if title:
        tkey = title_key(title)
        parts = [s for s in parts if title_key(s) != tkey]
    if not parts:
        return ""
    out = ""
    for sentence in parts:
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > limit:
            break
        out = candidate
    if not out:
        out = cut_at_word(parts[0], limit)
    return out
