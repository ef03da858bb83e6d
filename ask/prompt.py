"""The prompt of the text-to-SQL model: the allowed schema (as DDL) and worked examples.

Shaped like distil-labs' text2sql client (a task description, then the schema and the question in a
question block; bare SQLite out), which small fine-tuned models expect (../shared/SOURCES.md, section 14).
"""

from __future__ import annotations

from ask.schema import DDL

SYSTEM = """You are a problem solving model working on the task_description XML block.
<task_description>
You are given a database schema and a question about market data (prices, trading signals, backtest
ratings, news). Generate one SQLite SELECT query that answers the question.
Rules: use only the tables and columns of the schema; uppercase SQL keywords; SQLite syntax; quote the
columns "interval" and "signal" with double quotes; daily bars have "interval" = '1d' and ts at 00:00 UTC;
compare ts with 'YYYY-MM-DD' text; never write, never use PRAGMA or ATTACH; answer with the SQL only,
no explanation and no comments.
</task_description>"""

EXAMPLES: tuple[tuple[str, str], ...] = (
    (
        "KAU25 closing prices since 2026-09-01",
        "SELECT ts, close FROM bars WHERE symbol = 'KAU25' AND \"interval\" = '1d' AND ts >= '2026-09-01' "
        "ORDER BY ts",
    ),
    (
        "Which instruments had a golden cross in 2026?",
        "SELECT ts, symbol, close FROM signal_events WHERE \"signal\" = 'golden_cross' "
        "AND ts >= '2026-01-01' AND ts < '2027-01-01' ORDER BY ts DESC",
    ),
    (
        "Highest daily volume of AAPL in 2025",
        "SELECT ts, volume FROM bars WHERE symbol = 'AAPL' AND \"interval\" = '1d' AND ts >= '2025-01-01' "
        "AND ts < '2026-01-01' ORDER BY volume DESC LIMIT 1",
    ),
    (
        "Number of news headlines about semiconductors per source",
        "SELECT source, COUNT(*) AS news_count FROM news_items WHERE industries LIKE '%,semiconductors,%' "
        "GROUP BY source ORDER BY news_count DESC",
    ),
    (
        "Stocks foreigners bought most in November 2026",
        "SELECT symbol, SUM(foreign_value) AS foreign_net_value FROM investor_flows "
        "WHERE day >= '2026-11-01' AND day < '2026-12-01' "
        "GROUP BY symbol ORDER BY foreign_net_value DESC LIMIT 5",
    ),
)


def messages(question: str) -> list[dict[str, str]]:
    """The chat messages for one question."""
    worked = "\n\n".join(f"Question: {q}\nSQL: {sql}" for q, sql in EXAMPLES)
    user = (
        "Now for the real task, solve the task in question block. Generate only the solution, do not "
        f"generate anything else\n<question>Schema:\n{DDL}\nExamples:\n{worked}\n\n"
        f"Question: {question}</question>"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
