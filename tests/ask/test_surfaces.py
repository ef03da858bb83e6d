"""`finsignal ask` (text, --json, --chart) and `POST /v1/ask` over the real composition root."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from api.auth import hash_secret
from core.settings import load_settings
from finsignal.cli import main
from finsignal.webapi import build_asgi_app
from storage import Database
from tests.ask.conftest import Loaded, copy_sqlite

KEY = "fsk_ask-key-for-tests-0000000000000"
QUESTION = "Apple close from 2026-11-02 to 2026-11-06"


@pytest.fixture
def db_url(loaded_sqlite: Loaded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = copy_sqlite(loaded_sqlite, tmp_path)
    monkeypatch.setenv("FINSIGNAL_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no .env, var/ in tmp
    return url


def test_cli_prints_sentence_table_and_sql(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", QUESTION]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Apple Inc. (AAPL) closed at ")
    assert "5 trading days from 2026-11-02 to 2026-11-06" in out
    assert "2026-11-06" in out
    assert "SQL: SELECT ts, close FROM bars WHERE symbol = 'AAPL'" in out


def test_cli_json_and_chart(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chart = tmp_path / "out.png"
    assert main(["ask", QUESTION, "--json", "--chart", str(chart)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["columns"] == ["ts", "close"]
    assert [row[0] for row in data["rows"]] == [f"2026-11-0{d}T00:00:00Z" for d in (2, 3, 4, 5, 6)]
    assert data["sql"].startswith("SELECT ts, close FROM bars")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_says_what_it_did_not_understand_and_exits_2(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "what should I buy?"]) == 2
    assert "e.g. “Apple close over the last 3 months”" in capsys.readouterr().out
    assert main(["ask", "XYZQ 외국인 순매수"]) == 2
    assert "XYZQ" in capsys.readouterr().out


def test_cli_answers_an_investor_flow_question(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "삼성전자 외국인 순매수 지난 한 달"]) == 0
    out = capsys.readouterr().out
    assert "외국인 순매수 합계는 -66.0억원입니다" in out
    assert "FROM investor_flows" in out


@pytest.fixture
async def client(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    db = await Database.open(db_url, migrate=False)
    await db.repos.apikeys.add_key("asker", KEY[:8], hash_secret(KEY), False, datetime.now(UTC))
    await db.close()
    app = build_asgi_app(load_settings(database_url=db_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            yield c


async def test_post_ask(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/ask", json={"question": QUESTION})).status_code == 401
    headers = {"X-API-Key": KEY}
    reply = await client.post("/v1/ask", json={"question": QUESTION, "chart": True}, headers=headers)
    assert reply.status_code == 200
    body = reply.json()
    assert body["ok"] is True
    assert body["shape"] == "history"
    assert len(body["rows"]) == 5
    assert base64.b64decode(body["chart_png"])[:4] == b"\x89PNG"
    refused = (await client.post("/v1/ask", json={"question": "SELECT * FROM chats"}, headers=headers)).json()
    assert refused["ok"] is False
    assert refused["rows"] == []
    assert (await client.post("/v1/ask", json={"question": ""}, headers=headers)).status_code == 422


def test_cli_without_a_database_file_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FINSIGNAL_DATABASE_URL", "sqlite+aiosqlite://")
    assert main(["ask", "Apple close"]) == 2
    assert "in-memory" in capsys.readouterr().err
