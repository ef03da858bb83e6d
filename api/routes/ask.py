"""POST /v1/ask {question, chart?}: a question in plain words -> sentence, SQL, columns, rows (+ PNG)."""

from __future__ import annotations

import asyncio
import base64
from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from api.deps import Key, Services

router = APIRouter(tags=["ask"])


class AskIn(BaseModel):
    question: Annotated[str, Field(min_length=1, max_length=500)]
    chart: bool = False  # add the chart as base64 PNG (`chart_png`), when the answer has one


class AskOut(BaseModel):
    ok: bool
    text: str
    language: str
    source: str
    shape: str
    sql: str
    columns: list[str]
    rows: list[list[object]]
    truncated: bool
    chart_png: str | None = None


@router.post("/ask", response_model=AskOut)
async def ask(body: AskIn, services: Services, _key: Key) -> AskOut:
    """Answer a question (Korean or English) on the allow-listed tables, read-only; `ok` false says why."""
    if services.ask is None:
        raise HTTPException(status_code=503, detail="questions are not enabled on this server")
    answer = await services.ask.ask(body.question)
    out = AskOut.model_validate(answer.as_json())
    if body.chart:
        png = await asyncio.to_thread(answer.chart)
        out.chart_png = base64.b64encode(png).decode("ascii") if png else None
    return out
