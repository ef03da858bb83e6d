"""`/flows` through the real python-telegram-bot stack over HTTP to the fake Bot API server: the chart
as a photo and the three sentences as its caption, English and Korean (golden), and the answers
without data or without the tracker."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import set_menu
from bot.commands import Env, Request
from bot.flows import cmd_flows
from bot.services import BotServices
from core.ports import Repositories
from core.settings import load_settings
from core.types import Chat, ChatKind, Language
from fundflow.digest import FlowsDigests
from tests.bot.conftest import Harness
from tests.bot.fakes import make_services
from tests.fundflow.frames import store, two_markets

GOLDEN_EN = """\
<b>Cross-market fund flows</b> · 2024-05

In 2024-05, Bonds had the largest share of the cross-market flow proxy (dollar volume traded): \
70.0%, +20.0 pt over 12 months.
Latest rotation: 2024-05, Stocks -15.0 pt while Bonds +15.0 pt over 3 months.
Strongest return correlation over the last 36 months: Bonds and Stocks (-0.48)."""

GOLDEN_KO = """\
<b>시장 간 자금 흐름</b> · 2024-05

2024-05 시장 간 흐름 지표(달러 거래대금) 비중이 가장 큰 시장은 채권입니다: 70.0%, 12개월 변화 +20.0%p.
최근 자금 이동: 2024-05, 3개월 동안 주식 -15.0%p, 채권 +15.0%p.
최근 36개월 수익률 상관이 가장 강한 쌍은 채권·주식입니다 (-0.48)."""


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    return tmp_path / "flows"


@pytest.fixture
def services(sqlite_repos: Repositories, flows_dir: Path) -> BotServices:
    return make_services(sqlite_repos, flows=FlowsDigests(load_settings(fundflow_dir=flows_dir)))


async def test_flows_chart_and_three_sentences_in_english_and_korean(
    harness: Harness, flows_dir: Path
) -> None:
    store(two_markets(), flows_dir)
    [en] = await harness.say(701, "/flows")
    assert en.method == "sendPhoto"
    assert en.params["photo"].startswith(b"\x89PNG")
    assert en.text == GOLDEN_EN
    assert en.params["parse_mode"] == "HTML"

    [ko] = await harness.say(702, "/flows", language_code="ko")
    assert ko.method == "sendPhoto"
    assert ko.text == GOLDEN_KO
    assert ko.params["photo"] != en.params["photo"]  # Korean labels on the chart


async def test_flows_before_any_collection(harness: Harness) -> None:
    [reply] = await harness.say(703, "/flows")
    assert reply.method == "sendMessage"
    assert reply.text == "No fund-flow data yet: an administrator runs `finsignal flows collect`."


async def test_flows_is_in_the_menu_and_answers_without_the_tracker(
    harness: Harness, sqlite_repos: Repositories
) -> None:
    await set_menu(harness.app)
    assert ("flows", "Cross-market fund flows") in [
        (c["command"], c["description"]) for c in harness.tg.commands[""]
    ]
    assert {"command": "flows", "description": "시장 간 자금 흐름"} in harness.tg.commands["ko"]

    env = Env(make_services(sqlite_repos), harness.app.bot_data.env.settings)  # type: ignore[union-attr]
    chat = Chat(chat_id=704, kind=ChatKind.PRIVATE, title="", language=Language.KO)
    reply = await cmd_flows(env, Request(chat))
    assert reply.text == "지금은 자금 흐름 정보를 볼 수 없습니다."
    assert reply.photo is None
