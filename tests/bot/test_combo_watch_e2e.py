"""End to end: /watch SYMBOL combo:A+B over the fake Bot API (real python-telegram-bot over HTTP),
then bars through the real pipeline (SignalPipeline + ComboEngine + OutboxNotifier) and the
combination alert out through the sender to the chat watching it, and to no one else."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.delivery import OutboxNotifier
from bot.views import to_plain
from core.combostudy import STATE_KEY, ComboRating, ComboStudy
from core.types import Bar
from scheduler import SignalPipeline
from scheduler.engines import engine_factory
from scheduler.user_alerts import UserAlertWatcher
from signals.user_alerts import Margins
from tests.bot.test_e2e import Running, eventually, running  # noqa: F401  (the fixture)
from tests.scheduler.fakes import crossing_closes, daily_bars

NAME = "combo:breakout_200+volume_spike"


def _bars() -> tuple[list[Bar], list[Bar]]:
    closes, _ = crossing_closes()
    bars = daily_bars("FCO2.DE", [*closes, 87.0, 86.9, 140.0])
    bars[-3] = replace(bars[-3], volume=5000.0)  # a volume spike two bars before the breakout
    return bars[:-3], bars[-3:]


async def _store_study(run: Running) -> None:
    study = ComboStudy(
        tried=84,
        window=5,
        symbols=30,
        finished=datetime(2026, 12, 1, tzinfo=UTC),
        confirmed=(ComboRating(NAME, 20, 41, 0.0123, 0.0031, 57),),
    )
    await run.repos.state.put_state(STATE_KEY, study.to_bytes())


async def test_only_confirmed_combinations_can_be_watched(running: Running) -> None:  # noqa: F811
    no_study = await running.ask(2001, "/watch FCO2.DE combo:golden_cross+volume_spike")
    assert "No combinations study has been run yet" in no_study.text
    assert "finsignal backtest SYMBOL... --combinations" in no_study.text
    assert await running.repos.watches.list_watches(2001) == []

    await _store_study(running)
    other = await running.ask(2001, "/watch FCO2.DE combo:golden_cross+volume_spike")
    assert "is not a combination the last study confirmed" in other.text
    assert f"Confirmed: <code>{NAME}</code>." in other.text
    bad = await running.ask(2001, "/watch FCO2.DE combo:golden_cross+death_cross")
    assert "Not a combination" in bad.text
    assert "opposite directions" in bad.text
    unknown = await running.ask(2001, "/watch FCO2.DE combo:golden_cross+moon")
    assert "unknown signal" in unknown.text
    assert await running.repos.watches.list_watches(2001) == []


async def test_watched_combination_fires_through_the_pipeline_to_its_watcher(
    running: Running,  # noqa: F811
) -> None:
    await _store_study(running)
    # named in the other order: the watch stores the canonical name
    ok = await running.ask(2002, "/watch FCO2.DE combo:volume_spike+breakout_200")
    assert "Watching" in ok.text
    assert f"Combinations watched: SMA 200 breakout + Volume spike (<code>{NAME}</code>)" in ok.text
    [watch] = await running.repos.watches.list_watches(2002)
    assert watch.combos == {NAME}
    plain = await running.ask(2003, "/watch FCO2.DE breakout_200")  # no combination
    assert "Watching" in plain.text

    history, new = _bars()
    await running.repos.bars.upsert_bars(history)
    pipe = SignalPipeline(running.repos, OutboxNotifier(running.repos), engine_factory())
    await pipe.warm(["FCO2.DE"])
    await running.repos.bars.upsert_bars(new)
    res = await pipe.process({"FCO2.DE": new})
    assert NAME in {e.name for e in res.new_events}

    def combo_alerts(chat_id: int) -> list[str]:
        return [m.text for m in running.tg.sent_to(chat_id) if "Combination:" in m.text]

    await running.tg.wait_for(lambda: combo_alerts(2002))
    await running.tg.wait_for(lambda: any("SMA 200 breakout" in m.text for m in running.tg.sent_to(2003)))
    [alert] = combo_alerts(2002)
    assert "<b>Combination: SMA 200 breakout + Volume spike</b> · <b>FCO2.DE</b>" in alert
    assert "SMA 200 breakout on this bar, Volume spike 2 bars earlier (within 5 bars)." in alert
    assert "Study: confirmed out of sample, +1.23% over the baseline in 20 days, 41 events" in alert
    assert combo_alerts(2003) == []  # watches the breakout alone: no combination alert

    async def delivered() -> bool:  # the sender marks a batch sent after Telegram has it
        return await running.repos.outbox.count_pending() == 0

    await eventually(delivered)

    # /watch again with a signal list keeps the combination; /watchlist names it
    await running.ask(2002, "/watch FCO2.DE golden_cross")
    [watch] = await running.repos.watches.list_watches(2002)
    assert watch.combos == {NAME}
    listed = await running.ask(2002, "/watchlist")
    assert "Combinations: <b>FCO2.DE</b> SMA 200 breakout + Volume spike." in listed.text
    assert "Combinations" not in (await running.ask(2003, "/watchlist")).text


async def test_a_close_with_a_combination_and_other_alerts_is_one_digest(
    running: Running,  # noqa: F811
) -> None:
    """The runtime's path: the pipeline with own alerts hands the close to `publish_close`, which
    folds a chat's alerts of one close into one message; the combination's entry has its rating."""
    await _store_study(running)
    await running.ask(2004, f"/watch FCO2.DE breakout_200 {NAME}")
    history, new = _bars()
    await running.repos.bars.upsert_bars(history)
    alerts = UserAlertWatcher(running.repos, Margins())
    pipe = SignalPipeline(running.repos, OutboxNotifier(running.repos), engine_factory(), alerts=alerts)
    await pipe.warm(["FCO2.DE"])
    await running.repos.bars.upsert_bars(new)
    await pipe.process({"FCO2.DE": new})
    await running.tg.wait_for(lambda: any("alerts" in m.text for m in running.tg.sent_to(2004)))
    [digest] = [m.text for m in running.tg.sent_to(2004) if "alerts" in m.text]
    lines = to_plain(digest).split("\n")
    assert lines[0].startswith("🔔 2 alerts · ")
    assert "▲ SMA 200 breakout + Volume spike · FCO2.DE 140.00 EUR" in lines
    assert any(line.strip().startswith("Study: confirmed out of sample, +1.23%") for line in lines)
    assert not [m for m in running.tg.sent_to(2004) if "Combination:" in m.text]  # folded, not also alone
