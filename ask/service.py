"""`AskService`: question -> plan (offline interpreter, or the model) -> guard -> read-only run -> Answer.

The one service behind `finsignal ask`, the bot's /ask and `POST /v1/ask`. Whatever produced the SQL,
`ask.guard` checks it and the read-only port runs it with a time limit; refusals and failures come back
as an Answer whose `text` says why in one sentence (never an exception to the caller).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from ask.answer import sentence, table_text
from ask.chart import render, title_for
from ask.interpret import EXAMPLES, NotUnderstood, Plan, interpret, language
from ask.llm import ModelError, SqlModel
from ask.vocabulary import Vocabulary
from core.errors import QueryRefusedError, QueryTimeoutError
from core.ports import QueryResult, ReadOnlyQueries, Repositories
from core.timeutil import KST, utcnow

logger = logging.getLogger(__name__)

MAX_QUESTION = 500
VOCAB_TTL_S = 300.0


@dataclass(frozen=True)
class Answer:
    """What a question gets back. `ok` False: refused or not understood (`text` says why)."""

    question: str
    lang: str
    text: str
    ok: bool
    sql: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[object, ...], ...] = ()
    truncated: bool = False
    shape: str = ""
    source: str = "offline"  # or "model"
    plan: Plan | None = field(default=None, repr=False)
    vocab: Vocabulary | None = field(default=None, repr=False)

    @property
    def table(self) -> str:
        return table_text(self.columns, self.rows) if self.columns else ""

    def chart(self) -> bytes | None:
        """The PNG chart of this answer, or None (refused, one value, no rows)."""
        if not self.ok or self.plan is None:
            return None
        return render(self.plan, self.columns, self.rows, title_for(self.plan, self.question))

    def as_json(self) -> dict[str, object]:
        """{ok, text, language, source, shape, sql, columns, rows, truncated}: CLI --json and the API."""
        return {
            "ok": self.ok,
            "text": self.text,
            "language": self.lang,
            "source": self.source,
            "shape": self.shape,
            "sql": self.sql,
            "columns": list(self.columns),
            "rows": [[_json_value(v) for v in row] for row in self.rows],
            "truncated": self.truncated,
        }


def _json_value(value: object) -> object:
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


class AskService:
    def __init__(
        self,
        queries: ReadOnlyQueries,
        repos: Repositories,
        *,
        dialect: str = "sqlite",
        model: SqlModel | None = None,
        model_first: bool = False,
        max_rows: int = 1000,
    ) -> None:
        self.queries = queries
        self.repos = repos
        self.dialect = dialect
        self.model = model
        self.model_first = model_first and model is not None
        self.max_rows = max_rows
        self._vocab: tuple[float, Vocabulary] | None = None

    async def vocabulary(self, now: datetime | None = None) -> Vocabulary:
        """Stored instruments + catalogue + K-ETS front vintages, cached for a few minutes."""
        if self._vocab is not None and time.monotonic() - self._vocab[0] < VOCAB_TTL_S:
            return self._vocab[1]
        from market.resolver import front_vintage

        moment = now or utcnow()
        stored = await self.repos.instruments.list_instruments(active_only=False)
        front = {p: await front_vintage(self.repos, p, moment) for p in ("KAU", "KCU")}
        vocab = Vocabulary.build([(i.symbol, i.name) for i in stored], front)
        self._vocab = (time.monotonic(), vocab)
        return vocab

    async def ask(self, question: str, *, watchlist: Sequence[str] = (), today: date | None = None) -> Answer:
        question = " ".join(question.split())
        lang = language(question)
        if not question:
            return Answer(question, lang, _text(lang, "empty") + " " + EXAMPLES[lang], ok=False)
        if len(question) > MAX_QUESTION:
            return Answer(question[:MAX_QUESTION], lang, _text(lang, "long"), ok=False)
        vocab = await self.vocabulary()
        day = today or utcnow().astimezone(KST).date()
        plan = interpret(question, vocab=vocab, today=day, watchlist=watchlist)
        if self.model is not None and (self.model_first or isinstance(plan, NotUnderstood)):
            answer = await self._ask_model(question, lang, vocab)
            if answer.ok:
                return answer
            if isinstance(plan, NotUnderstood):
                return _with_note(plan, answer)
            # the model failed or wrote forbidden SQL: the offline plan answers instead
        if isinstance(plan, NotUnderstood):
            return Answer(question, lang, plan.message, ok=False)
        return await self._run(question, plan, vocab, "offline")

    async def _ask_model(self, question: str, lang: str, vocab: Vocabulary) -> Answer:
        assert self.model is not None
        try:
            sql = await self.model.sql_for(question)
        except ModelError as exc:
            logger.warning("ask: model failed: %s", exc)
            return Answer(question, lang, _text(lang, "model") + f" ({exc})", ok=False, source="model")
        plan = Plan("model", sql, lang)
        return await self._run(question, plan, vocab, "model")

    async def _run(self, question: str, plan: Plan, vocab: Vocabulary, source: str) -> Answer:
        from ask.guard import SqlRefused, guard  # sqlglot (12 MB) loads with the first question

        lang = plan.lang
        try:
            safe = guard(plan.sql, dialect=self.dialect, max_rows=self.max_rows)
            result: QueryResult = await self.queries.run(safe.sql, max_rows=self.max_rows)
        except SqlRefused as exc:
            logger.info("ask: refused (%s): %s", source, exc)
            return Answer(
                question, lang, _text(lang, "refused") + f" {exc}", ok=False, sql=plan.sql, source=source
            )
        except QueryTimeoutError as exc:
            return Answer(
                question, lang, _text(lang, "timeout") + f" ({exc})", ok=False, sql=safe.sql, source=source
            )
        except QueryRefusedError as exc:
            return Answer(
                question, lang, _text(lang, "db") + f" ({exc})", ok=False, sql=safe.sql, source=source
            )
        text = sentence(plan, result.rows, vocab)
        if result.truncated:
            text += " " + _text(lang, "cut").format(n=self.max_rows)
        return Answer(
            question, lang, text, True, safe.sql, result.columns, result.rows, result.truncated,
            plan.shape, source, plan, vocab,
        )  # fmt: skip


def _with_note(plan: NotUnderstood, failed: Answer) -> Answer:
    return Answer(failed.question, plan.lang, f"{plan.message} {failed.text}", ok=False, source="model")


_TEXTS = {
    "en": {
        "empty": "Ask a question about prices, signals, ratings or news.",
        "long": f"The question is too long (at most {MAX_QUESTION} characters).",
        "refused": "I cannot run that query:",
        "timeout": "The query took too long and was stopped; ask about a shorter period or fewer names.",
        "db": "The database refused the query",
        "cut": "Only the first {n} rows are shown; the rest were cut.",
        "model": "The language model did not answer",
    },
    "ko": {
        "empty": "가격, 신호, 등급, 뉴스에 대해 질문해 주세요.",
        "long": f"질문이 너무 깁니다 (최대 {MAX_QUESTION}자).",
        "refused": "이 쿼리는 실행할 수 없습니다:",
        "timeout": "쿼리가 너무 오래 걸려 중단했습니다. 기간이나 종목 수를 줄여 주세요.",
        "db": "데이터베이스가 쿼리를 거부했습니다",
        "cut": "처음 {n}행만 보여 줍니다. 나머지는 잘랐습니다.",
        "model": "언어 모델이 답하지 못했습니다",
    },
}


def _text(lang: str, key: str) -> str:
    return _TEXTS[lang][key]
