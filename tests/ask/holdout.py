"""Questions written after the interpreter was tuned on labelled.py and never tuned on: bench/ask.py
reports their accuracy separately (the honest figure). Same format and periods as labelled.py."""

from __future__ import annotations

from tests.ask.labelled import D10, LM, LW, M1, M3, M6, MAR, TM, W2, Y25, L, Label, Y

HOLDOUT: list[Label] = [
    L("What did Tesla close at over the past six months?", "history", "TSLA", M6),
    L("테슬라 주가 흐름 좀 보여줄래? 지난 6개월", "history", "TSLA", M6),
    L("give me the KAU25 closing series for this month", "history", "KAU25", TM),
    L("마소 주가 지난주", "refuse", "", ("", "")),
    L("Where did Apple trade last month?", "history", "AAPL", LM),
    L("SK하이닉스 가격 흐름 최근 2주", "history", "000660.KS", W2),
    L("peak price of Tesla this year", "max", "TSLA", Y, "high"),
    L("올해 엔비디아 가장 높았던 가격은?", "max", "NVDA", Y, "high"),
    L("Samsung's lowest point last year", "min", "005930.KS", Y25, "low"),
    L("KAU26 가장 낮았던 종가 지난달", "min", "KAU26", LM, "close"),
    L("what was the mean close of FCO2.DE last week", "avg", "FCO2.DE", LW),
    L("마이크로소프트 작년 평균 주가는?", "avg", "MSFT", Y25),
    L("How has Samsung performed since March?", "change", "005930.KS", MAR),
    L("애플 이번 달 몇 % 올랐어?", "change", "AAPL", TM),
    L("KAU25 return over the last 10 days", "change", "KAU25", D10),
    L("NVIDIA vs Tesla since March", "compare", "NVDA,TSLA", MAR),
    L("삼성전자랑 애플 작년 비교해줘", "compare", "005930.KS,AAPL", Y25),
    L("KAU25, KAU26 and FCO2.DE last month", "compare", "KAU25,KAU26,FCO2.DE", LM),
    L("which instruments rose the most this year? top 3", "top", "", Y, "change desc 3"),
    L("지난달 가장 많이 거래된 종목 5개", "top", "", LM, "volume desc 5"),
    L("bottom 3 performers last week", "top", "", LW, "change asc 3"),
    L("any death crosses in the last 3 months?", "signals", "", M3, "death_cross"),
    L("엔비디아 과매도 신호 올해", "signals", "NVDA", Y, "rsi_oversold"),
    L("volume spike alerts on my watchlist last month", "signals", "W", LM, "volume_spike"),
    L("which signals have the best grades for Tesla?", "ratings", "TSLA", ("", ""), "10"),
    L("골든크로스 등급", "ratings", "", ("", ""), "10 golden_cross"),
    L("how many news items per industry this year", "news", "", Y),
    L("이번 달 산업별 기사 수", "news", "", TM),
    L("기관 수급 삼성전자", "flows", "005930.KS", M1),  # was "refuse" before flows were stored
    L("tell me a joke", "refuse", "", ("", "")),
]
