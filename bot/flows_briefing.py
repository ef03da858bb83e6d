"""The premium briefing with a monthly fund-flow section (issue #22).

In the first `fundflow_briefing_days` days of a month (KST), once the month before is stored, the
briefing ends with the fund-flow title and its three sentences. The composition root builds this
`FlowsBriefer` in place of `bot.briefing.Briefer`; everything else about the briefing is unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from datetime import date, datetime

from bot.briefing import Briefer, BriefingData
from bot.flows import TITLE
from bot.views import esc, fit
from core.errors import FinsignalError
from core.flows import FlowsDigest
from core.timeutil import KST
from core.types import Language

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FlowsBriefingData(BriefingData):
    flows: dict[Language, FlowsDigest] = field(default_factory=dict)


def previous_month(now: datetime) -> date:
    day = now.astimezone(KST).date()
    return date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)


class FlowsBriefer(Briefer):
    async def _gather(self, now: datetime) -> BriefingData:
        data = await super()._gather(now)
        reader = self._svc.flows
        if reader is None or now.astimezone(KST).day > self._settings.fundflow_briefing_days:
            return data
        digests: dict[Language, FlowsDigest] = {}
        try:
            for lang in Language:
                digest = await reader.digest(lang.value)
                if digest.month == previous_month(now):
                    digests[lang] = digest
        except (FinsignalError, OSError) as exc:
            logger.warning("briefing: fund flows unavailable: %s", exc)
            return data
        return FlowsBriefingData(**{f.name: getattr(data, f.name) for f in fields(data)}, flows=digests)

    def render(self, lang: Language, data: BriefingData, slot: str) -> str:
        text = super().render(lang, data, slot)
        digest = data.flows.get(lang) if isinstance(data, FlowsBriefingData) else None
        if digest is None or digest.month is None:
            return text
        title = TITLE[lang].format(month=f"{digest.month:%Y-%m}")
        return fit([*text.split("\n"), "", title, *(f"• {esc(s, 400)}" for s in digest.sentences)])
