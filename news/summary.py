"""Extractive summaries: whole sentences from the item's own text, at most `limit` characters.

Sentence boundaries come from libraries, not from a regex on full stops: pysbd for English and other
Latin text (it knows that "U.S.", "Corp." and "Jan. 5" do not end a sentence), kiwipiepy's splitter for
Korean (news.korean). A summary is never a fragment: pieces without a word of three letters (a stray
"U.S.") are dropped.
"""

from __future__ import annotations

import re
import threading
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING

from news import korean
from news.normalize import title_key

if TYPE_CHECKING:
    from pysbd import Segmenter

SUMMARY_MAX = 300
_ELLIPSIS = "…"
_WORD = re.compile(r"[^\W\d_]{3,}|[\uac00-\ud7a3]{2,}")
_lock = threading.Lock()
_BOILERPLATE = re.compile(
    r"^(?:continue reading|read more|the post .* appeared first on .*|더보기|기사 ?원문)\.?$", re.IGNORECASE
)


@lru_cache(maxsize=1)
def _segmenter() -> Segmenter:
    with _lock, warnings.catch_warnings():
        # pysbd 0.3.4 has a regex string with an invalid escape: a SyntaxWarning when compiled, which
        # `filterwarnings = error` would turn into a SyntaxError
        warnings.simplefilter("ignore", SyntaxWarning)
        import pysbd  # lazy: only the crawler summarises

        return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str) -> list[str]:
    """Split text into sentences (kept with their final punctuation); fragments without a word are dropped."""
    text = " ".join(text.split())
    if not text:
        return []
    parts = korean.sentences(text) if korean.is_korean(text) else _segmenter().segment(text)
    return [p.strip() for p in parts if p.strip() and _WORD.search(p)]


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
