"""The model path against a stand-in chat-completions server on loopback: good SQL, bad SQL,
forbidden SQL, timeouts, 429, 500, malformed replies; fallbacks to the offline answer or a clear message."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ask.llm import ChatCompletionsModel, extract_sql
from ask.schema import TABLES
from ask.service import AskService
from storage import Database
from storage.readonly import open_readonly
from tests.ask import fixture_data as F
from tests.ask.conftest import Loaded
from tests.fakes.fake_llm import FakeChatServer, Reply, completion, error

UNKNOWN = "How many bars are stored per market?"  # the offline interpreter cannot answer this
GOOD_SQL = (
    "SELECT i.market, COUNT(*) AS n FROM bars AS b JOIN instruments AS i ON i.symbol = b.symbol "
    "GROUP BY i.market ORDER BY i.market"
)
KEY = "sk-test-secret-key"


@pytest.fixture
def llm() -> Iterator[FakeChatServer]:
    server = FakeChatServer().start()
    yield server
    server.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c


def _model(llm: FakeChatServer, client: httpx.AsyncClient, **kw: float) -> ChatCompletionsModel:
    timeout = kw.pop("timeout_s", 2.0)
    return ChatCompletionsModel(client, llm.base_url, "text2sql", api_key=KEY, timeout_s=timeout, **kw)  # type: ignore[arg-type]


async def _service(
    loaded: Loaded, db: Database, model: ChatCompletionsModel, *, first: bool = False
) -> AskService:
    queries = open_readonly(loaded.ro_url, tables=TABLES, timeout_s=3.0)
    return AskService(queries, db.repos, dialect=db.dialect, model=model, model_first=first)


async def test_good_sql_from_the_model_answers_what_the_interpreter_cannot(
    loaded_sqlite: Loaded, sqlite_ask_db: Database, llm: FakeChatServer, client: httpx.AsyncClient
) -> None:
    llm.script = [completion(f"```sql\n{GOOD_SQL};\n```")]
    service = await _service(loaded_sqlite, sqlite_ask_db, _model(llm, client))
    answer = await service.ask(UNKNOWN, today=F.TODAY)
    assert answer.ok, answer.text
    assert answer.source == "model"
    counts = {row[0]: row[1] for row in answer.rows}
    assert counts["us"] == sum(len(F.bars(s)) for s in ("AAPL", "MSFT", "NVDA", "TSLA"))
    request = llm.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    body = request["json"]
    assert body["model"] == "text2sql"
    assert body["temperature"] == 0
    assert "CREATE TABLE bars" in body["messages"][1]["content"]
    assert "chats" not in body["messages"][1]["content"]
    assert UNKNOWN in body["messages"][1]["content"]


async def test_the_offline_answer_comes_first_in_fallback_mode(
    loaded_sqlite: Loaded, sqlite_ask_db: Database, llm: FakeChatServer, client: httpx.AsyncClient
) -> None:
    service = await _service(loaded_sqlite, sqlite_ask_db, _model(llm, client))
    answer = await service.ask("Apple close last week", today=F.TODAY)
    assert answer.ok
    assert answer.source == "offline"
    assert llm.requests == []


@pytest.mark.parametrize(
    ("reply", "needle"),
    [
        (completion("SELECT title, chat_id FROM chats"), "chats is not open"),
        (completion("DELETE FROM bars"), "Only SELECT"),
        (completion("SELECT close FROM bars; DROP TABLE bars"), "Only one statement"),
        (completion("SELECT close FROM bars WHERE AND ORDER"), "could not be parsed"),
        (completion("I am sorry, I cannot help with that."), "no SELECT"),
        (Reply(200, "{not json"), "malformed"),
        (error(400, "This model's maximum context length is 4096 tokens"), "HTTP 400"),
        (error(404, "model 'text2sql' not found"), "HTTP 404"),
    ],
)
async def test_bad_or_forbidden_model_sql_gets_a_clear_message(
    loaded_sqlite: Loaded,
    sqlite_ask_db: Database,
    llm: FakeChatServer,
    client: httpx.AsyncClient,
    reply: Reply,
    needle: str,
) -> None:
    llm.script = [reply]
    service = await _service(loaded_sqlite, sqlite_ask_db, _model(llm, client))
    answer = await service.ask(UNKNOWN, today=F.TODAY)
    assert not answer.ok
    assert needle in answer.text
    assert "Apple close over the last 3 months" in answer.text  # the offline example is still offered
    assert KEY not in answer.text
    assert answer.rows == ()


async def test_429_and_503_are_retried_honouring_retry_after(
    loaded_sqlite: Loaded, sqlite_ask_db: Database, llm: FakeChatServer, client: httpx.AsyncClient
) -> None:
    llm.script = [
        error(429, "slow down", **{"Retry-After": "0"}),
        error(503, "Loading model"),
        completion(GOOD_SQL),
    ]
    service = await _service(loaded_sqlite, sqlite_ask_db, _model(llm, client))
    answer = await service.ask(UNKNOWN, today=F.TODAY)
    assert answer.ok, answer.text
    assert len(llm.requests) == 3


async def test_500s_and_timeouts_fall_back_to_the_offline_answer_when_there_is_one(
    loaded_sqlite: Loaded, sqlite_ask_db: Database, llm: FakeChatServer, client: httpx.AsyncClient
) -> None:
    llm.script = [error(500, "boom")]
    service = await _service(loaded_sqlite, sqlite_ask_db, _model(llm, client, retries=1), first=True)
    answer = await service.ask("삼성전자 올해 최고가", today=F.TODAY)
    assert answer.ok
    assert answer.source == "offline"
    assert len(llm.requests) == 2  # one retry
    llm.script = [Reply(200, "{}", delay_s=1.5)]
    slow = await _service(
        loaded_sqlite, sqlite_ask_db, _model(llm, client, timeout_s=0.3, retries=0), first=True
    )
    answer = await slow.ask("Apple close last week", today=F.TODAY)
    assert answer.ok
    assert answer.source == "offline"
    unknown = await slow.ask(UNKNOWN, today=F.TODAY)
    assert not unknown.ok
    assert "timed out" in unknown.text


async def test_the_breaker_stops_calling_a_failing_server(
    llm: FakeChatServer, client: httpx.AsyncClient
) -> None:
    llm.script = [error(500, "down")]
    model = _model(llm, client, retries=0, breaker_failures=3)
    for _ in range(5):
        with pytest.raises(Exception, match=r"HTTP 500|circuit open"):
            await model.sql_for(UNKNOWN)
    assert len(llm.requests) == 3


def test_sql_is_taken_out_of_chatty_replies() -> None:
    assert extract_sql("Sure! Here it is:\nSELECT close FROM bars;") == "SELECT close FROM bars;"
    assert extract_sql("DELETE FROM bars; SELECT 1") == "DELETE FROM bars; SELECT 1"  # the guard refuses it
    assert extract_sql("```sql\nWITH x AS (SELECT 1 AS a) SELECT a FROM x\n```") == (
        "WITH x AS (SELECT 1 AS a) SELECT a FROM x"
    )
