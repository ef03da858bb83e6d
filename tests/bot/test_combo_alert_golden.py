"""Golden combination alerts (English, Korean): the pair, the bars between its halves, the rating
from the last combinations study or 'no rating yet', and only an unwatch button."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.views import to_plain
from bot.views_combo import render_combo_alert
from bot.views_user_alert import DigestItem, render_digest
from core.combostudy import ComboRating, ComboStudy
from core.types import Instrument, Interval, Language, Market, SignalEvent, SignalType

FCO2 = Instrument("FCO2.DE", "SparkChange Physical Carbon EUA ETC", Market.XETRA, "EUR", "Europe/Berlin")
SESSION = datetime(2026, 11, 30, tzinfo=UTC)
STUDY = ComboStudy(
    tried=84,
    window=5,
    symbols=30,
    finished=datetime(2026, 12, 1, tzinfo=UTC),
    confirmed=(ComboRating("combo:golden_cross+volume_spike", 20, 41, 0.0123, 0.0031, 57),),
)


def _combo(signal: SignalType, close: float, apart: float, now: float) -> SignalEvent:
    values = {"bars_apart": apart, "window": 5.0, "now": now}
    return SignalEvent(
        "FCO2.DE", signal, Interval.D1, SESSION, close, values, apart, pair=SignalType.VOLUME_SPIKE
    )


APART = _combo(SignalType.GOLDEN_CROSS, 71.10, 2.0, 1.0)
SAME_BAR = _combo(SignalType.BREAKDOWN_200, 68.02, 0.0, 1.0)
EARLIER_FIRST = _combo(SignalType.GOLDEN_CROSS, 71.10, 1.0, 2.0)  # the volume spike fired now
WHEN_EN = "2026-11-30 close 17:30 Frankfurt · 12-01 01:30 KST"
WHEN_KO = "2026-11-30 마감 17:30 프랑크푸르트 · 12-01 01:30 KST"
TITLE_EN = "▲ Combination: Golden cross + Volume spike · FCO2.DE SparkChange Physical Carbon EUA ETC"
TITLE_KO = "▲ FCO2.DE SparkChange Physical Carbon EUA ETC · 조합: 골든 크로스 + 거래량 급증"
RATED_EN = (
    "Study: confirmed out of sample, +1.23% over the baseline in 20 days, 41 events (p 0.0031), "
    "pooled over 30 symbols."
)
RATED_KO = "검증: 표본 외 확인, 20일 기준 대비 +1.23%, 41건 (p 0.0031), 30종목 합산."

CASES = [
    (Language.EN, APART, STUDY, (TITLE_EN, f"Close 71.10 EUR · {WHEN_EN}",
     "Golden cross on this bar, Volume spike 2 bars earlier (within 5 bars).", RATED_EN)),
    (Language.KO, APART, STUDY, (TITLE_KO, f"종가 71.10 EUR · {WHEN_KO}",
     "이번 봉에 골든 크로스, 2봉 전에 거래량 급증 (5봉 이내).", RATED_KO)),
    (Language.EN, APART, None, (TITLE_EN, f"Close 71.10 EUR · {WHEN_EN}",
     "Golden cross on this bar, Volume spike 2 bars earlier (within 5 bars).", "Study: no rating yet.")),
    (Language.KO, APART, None, (TITLE_KO, f"종가 71.10 EUR · {WHEN_KO}",
     "이번 봉에 골든 크로스, 2봉 전에 거래량 급증 (5봉 이내).", "검증: 아직 평가 없음.")),
    (Language.EN, EARLIER_FIRST, STUDY, (TITLE_EN, f"Close 71.10 EUR · {WHEN_EN}",
     "Volume spike on this bar, Golden cross the bar before (within 5 bars).", RATED_EN)),
    (Language.EN, SAME_BAR, STUDY, (  # a study that did not confirm this pair: no rating
     "▼ Combination: SMA 200 breakdown + Volume spike · FCO2.DE SparkChange Physical Carbon EUA ETC",
     f"Close 68.02 EUR · {WHEN_EN}", "SMA 200 breakdown and Volume spike on the same bar.",
     "Study: no rating yet.")),
    (Language.KO, SAME_BAR, None, (
     "▼ FCO2.DE SparkChange Physical Carbon EUA ETC · 조합: 200일선 하향 이탈 + 거래량 급증",
     f"종가 68.02 EUR · {WHEN_KO}", "같은 봉에서 200일선 하향 이탈 · 거래량 급증 동시 발생.",
     "검증: 아직 평가 없음.")),
]  # fmt: skip


@pytest.mark.parametrize(("lang", "event", "study", "want"), CASES)
def test_combination_alert_golden(
    lang: Language, event: SignalEvent, study: ComboStudy | None, want: tuple[str, ...]
) -> None:
    reply = render_combo_alert(lang, event, FCO2, study)
    assert tuple(to_plain(reply.text).split("\n")) == want
    assert reply.text.startswith(("▲ <b>", "▼ <b>"))
    assert [[data for _, data in row] for row in reply.buttons] == [["u|FCO2.DE"]]


def test_study_round_trips_through_its_stored_bytes() -> None:
    assert ComboStudy.from_bytes(STUDY.to_bytes()) == STUDY


def test_combination_in_a_digest_carries_its_study_rating() -> None:
    spike = SignalEvent("FCO2.DE", SignalType.VOLUME_SPIKE, Interval.D1, SESSION, 71.10, {}, 3.0)
    items = [DigestItem(FCO2, event=spike), DigestItem(FCO2, event=APART, study=STUDY)]
    en = to_plain(render_digest(Language.EN, items).text).split("\n")
    assert en[1:] == [
        "● Volume spike · FCO2.DE 71.10 EUR",
        "    no track record yet",
        "▲ Golden cross + Volume spike · FCO2.DE 71.10 EUR",
        f"    {RATED_EN}",
    ]
    ko = to_plain(render_digest(Language.KO, [items[1], DigestItem(FCO2, event=SAME_BAR)]).text).split("\n")
    assert ko[1:] == [
        "▲ 골든 크로스 + 거래량 급증 · FCO2.DE 71.10 EUR",
        f"    {RATED_KO}",
        "▼ 200일선 하향 이탈 + 거래량 급증 · FCO2.DE 68.02 EUR",
        "    검증: 아직 평가 없음.",
    ]
