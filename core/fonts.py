"""The Korean font every chart uses (the bot's, the questions', the fund-flow report's): one lookup.

Debian's fonts-noto-cjk (installed by `make test-deps` and the Dockerfile) may arrive after matplotlib
built its font cache, and matplotlib's cache scan skips `.ttc` collections, so the files are added by
path the first time. matplotlib is imported only when a chart is drawn.
"""

from __future__ import annotations

import functools
from pathlib import Path

PREFERRED = (
    "Noto Sans CJK KR",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "NanumGothic",
    "Noto Sans KR",
    "UnDotum",
)


@functools.cache
def korean_font() -> str | None:
    """The name of an installed font that has Hangul, or None (charts then fall back to English)."""
    from matplotlib import font_manager

    for attempt in range(2):
        known = {f.name for f in font_manager.fontManager.ttflist}
        for name in PREFERRED:
            if name in known:
                return name
        if attempt == 0:
            for path in font_manager.findSystemFonts():
                file = Path(path).name
                if ("NotoSansCJK" in file or "NanumGothic" in file) and "Mono" not in file:
                    font_manager.fontManager.addfont(path)
    return None
