"""Korean text as morphemes (kiwipiepy): a term counts only as a whole word or as the head of a compound.

Korean compounds put their head last: `국제유가` (international oil price) is an oil price, but
`유가증권시장` (the securities market) is not, and `현대차증권` (a broker) is not Hyundai Motor. So a
term found in Korean text counts when (1) nothing word-like is glued before an entity name, and (2) what
follows the term inside the same word is not another noun, unless that noun is a generic head that keeps
the term's topic (`조선업`, `은행株`, `반도체지수`, `배출권거래제`); after a company name only its stock
or its side (`삼성전자주가`, `현대차측`).

The tokenizer (its model ships in the `kiwipiepy-model` wheel, nothing is downloaded) is loaded lazily on
first use, once per process: seconds and hundreds of MB (see bench/news_classify.py); the CLI never pays
for it unless it classifies Korean text, and only where a term is glued to more letters.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

HANGUL = re.compile("[\uac00-\ud7a3]")
# Noun-like tags: a following morpheme of these kinds, glued to the term, makes the term a modifier.
_NOUNISH = frozenset({"NNG", "NNP", "NNR", "SL", "SH", "XR"})
# Glued after a company name these keep it the head (its stock, its side, its union): anything else
# makes another name (`현대차증권`, `대우조선해양건설`).
ENTITY_HEADS = frozenset({"주", "株", "주가", "株價", "측", "노조", "계열사", "등"})
# Glued after a topic word these generic nouns keep the topic (`조선업`, `반도체지수`, `배출권거래제`,
# `바이오株`); any other noun makes another word (`유가증권`, `조선일보`).
TOPIC_HEADS = ENTITY_HEADS | frozenset(
    {"업", "업계", "업종", "업체", "업황", "사", "사들", "관련주", "테마", "대장주", "지수", "가격", "값",
     "시장", "거래", "제도", "수출", "수입", "기업", "종목", "부문", "사업", "산업", "생산", "공장", "투자",
     "펀드", "수요", "공급", "호황", "불황", "기술", "정책"}
)  # fmt: skip
_WORDISH = re.compile(r"[\w&]")

_lock = threading.Lock()
_kiwi: Kiwi | None = None


class Morpheme(NamedTuple):
    form: str
    tag: str
    start: int
    end: int


def is_korean(text: str) -> bool:
    """True when `text` contains Hangul."""
    return HANGUL.search(text) is not None


def tokenizer() -> Kiwi:
    """The shared Kiwi instance (loaded on first call; thread-safe)."""
    global _kiwi
    if _kiwi is None:
        with _lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi  # lazy: ~3 s and ~300 MB, only when Korean text is met

                _kiwi = Kiwi(num_workers=-1, load_typo_dict=False, load_multi_dict=False)
    return _kiwi


@lru_cache(maxsize=256)
def morphemes(text: str) -> tuple[Morpheme, ...]:
    """The morphemes of `text` with character offsets."""
    return tuple(Morpheme(t.form, t.tag, t.start, t.start + t.len) for t in tokenizer().tokenize(text))


def is_head(text: str, start: int, end: int, *, entity: bool = False) -> bool:
    """Whether text[start:end] stands as a word or as the head of its compound (see the module doc).

    `entity`: a company name: nothing word-like may be glued before it, and only ENTITY_HEADS after it."""
    if entity and start > 0 and _WORDISH.match(text[start - 1]) and not text[start - 1].isdigit():
        return False
    if end >= len(text) or not _WORDISH.match(text[end]):
        return True  # followed by space, punctuation or the end
    heads = ENTITY_HEADS if entity else TOPIC_HEADS
    for m in morphemes(text):
        if m.start < end < m.end:  # the term ends inside a morpheme: what is left of it must be a head
            return text[end : m.end] in heads
        if m.start == end:
            return m.tag not in _NOUNISH or _starts_head(text, end, heads)
    return True


def _starts_head(text: str, at: int, heads: frozenset[str]) -> bool:
    """Whether one of `heads` is written at text[at:] and ends there at a word's end or a morpheme's."""
    for h in heads:
        if text.startswith(h, at):
            after = at + len(h)
            if after >= len(text) or not _WORDISH.match(text[after]):
                return True
            if any(m.start == after for m in morphemes(text)):
                return True
    return False


def sentences(text: str) -> list[str]:
    """Korean sentences, by the tokenizer's splitter (it does not cut at abbreviations such as 'U.S.')."""
    return [s.text.strip() for s in tokenizer().split_into_sents(text) if s.text.strip()]
