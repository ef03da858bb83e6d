"""The labelled questions: (question, shape, symbols, start, end, options), asked on `fixture_data.TODAY`
(Monday 2026-12-07). Periods are written out by hand here; expected values come from `oracle.py`
over the fixture data, never from the interpreter. Shape "refuse": the interpreter must say it did not
understand. Symbols: "W" = the watchlist (fixture_data.WATCHLIST), "KAU*" = the K-ETS front vintage,
"" = every instrument. Options: metric/direction/n for top, signal for signals and ratings, column
for max/min ("high"/"low"/"close").
"""

from __future__ import annotations

from typing import NamedTuple


class Label(NamedTuple):
    question: str
    shape: str
    symbols: str
    start: str
    end: str
    options: str = ""


Y = ("2026-01-01", "2026-12-07")  # this year
M3 = ("2026-09-07", "2026-12-07")  # last 3 months (and the default of one instrument)
M6 = ("2026-06-07", "2026-12-07")
LM = ("2026-11-01", "2026-11-30")  # last month
LW = ("2026-11-30", "2026-12-06")  # last week (Monday to Sunday)
TM = ("2026-12-01", "2026-12-07")  # this month
W2 = ("2026-11-23", "2026-12-07")  # last 2 weeks
D10 = ("2026-11-27", "2026-12-07")  # last 10 days
MAR = ("2026-03-01", "2026-12-07")  # since March
Y25 = ("2025-01-01", "2025-12-31")
Y10 = ("2010-01-01", "2010-12-31")
M1 = ("2026-11-07", "2026-12-07")  # last month rolling (default of rankings and news)
S12 = ("2025-12-07", "2026-12-07")  # default of signals
NO = ("", "")


def L(q: str, shape: str, symbols: str, span: tuple[str, str], options: str = "") -> Label:
    return Label(q, shape, symbols, span[0], span[1], options)


LABELS: list[Label] = [
    # --- history -------------------------------------------------------------------------------
    L("Apple close over the last 3 months", "history", "AAPL", M3),
    L("지난 3개월 KAU25 종가 추이 보여줘", "history", "KAU25", M3),
    L("Show MSFT price history since March", "history", "MSFT", MAR),
    L("삼성전자 올해 주가 추이", "history", "005930.KS", Y),
    L("NVDA chart last month", "history", "NVDA", LM),
    L("테슬라 지난달 종가", "history", "TSLA", LM),
    L("SK하이닉스 지난주 시세", "history", "000660.KS", LW),
    L("FCO2.DE closing prices last week", "history", "FCO2.DE", LW),
    L("KAU26 price since 2026-10-01", "history", "KAU26", ("2026-10-01", "2026-12-07")),
    L("Apple prices in March 2026", "history", "AAPL", ("2026-03-01", "2026-03-31")),
    L("애플 2025년 3월 종가", "history", "AAPL", ("2025-03-01", "2025-03-31")),
    L("엔비디아 최근 2주 가격", "history", "NVDA", W2),
    L("Tesla close last 10 days", "history", "TSLA", D10),
    L("005930 trend this month", "history", "005930.KS", TM),
    L("마이크로소프트 이번 달 주가", "history", "MSFT", TM),
    L("AAPL history in 2010", "history", "AAPL", Y10),
    L("KAU25 시세 지난 6개월", "history", "KAU25", M6),
    L("Samsung close since 2026-11-02", "history", "005930.KS", ("2026-11-02", "2026-12-07")),
    L("Show me NVIDIA prices over the past 2 weeks", "history", "NVDA", W2),
    L("000660 종가 추이 지난 1개월", "history", "000660.KS", M1),
    L("Microsoft price from 2026-10-01 to 2026-10-31", "history", "MSFT", ("2026-10-01", "2026-10-31")),
    L("KAU26 종가 2026-11-02~2026-11-20", "history", "KAU26", ("2026-11-02", "2026-11-20")),
    L("Apple close", "history", "AAPL", M3),
    L("배출권 KAU 종가 추이 지난주", "history", "KAU*", LW),
    L("Tesla price history last year", "history", "TSLA", Y25),
    # --- highest / lowest ----------------------------------------------------------------------
    L("Apple highest price this year", "max", "AAPL", Y, "high"),
    L("삼성전자 올해 최고가", "max", "005930.KS", Y, "high"),
    L("lowest price of MSFT last month", "min", "MSFT", LM, "low"),
    L("KAU25 최저가 지난 3개월", "min", "KAU25", M3, "low"),
    L("NVDA highest close since March", "max", "NVDA", MAR, "close"),
    L("테슬라 작년 최저 종가", "min", "TSLA", Y25, "close"),
    L("SK하이닉스 2025년 최고가", "max", "000660.KS", Y25, "high"),
    L("What was the peak of FCO2.DE in 2025?", "max", "FCO2.DE", Y25, "high"),
    L("애플 지난 6개월 저점", "min", "AAPL", M6, "low"),
    L("KAU26 highest price last week", "max", "KAU26", LW, "high"),
    L("Microsoft lowest close in 2025", "min", "MSFT", Y25, "close"),
    L("엔비디아 이번 달 최고가", "max", "NVDA", TM, "high"),
    L("AAPL max price in 2010", "max", "AAPL", Y10, "high"),
    L("삼성전자 지난주 최저가", "min", "005930.KS", LW, "low"),
    L("TSLA minimum price since 2026-06-01", "min", "TSLA", ("2026-06-01", "2026-12-07"), "low"),
    L("KAU25 최고 종가 올해", "max", "KAU25", Y, "close"),
    L("lowest price of Samsung over the past 3 months", "min", "005930.KS", M3, "low"),
    L("NVIDIA highest in March 2026", "max", "NVDA", ("2026-03-01", "2026-03-31"), "high"),
    L("SK하이닉스 최저가 지난달", "min", "000660.KS", LM, "low"),
    L("마이크로소프트 최고가", "max", "MSFT", M3, "high"),
    # --- average -------------------------------------------------------------------------------
    L("Average close of Apple this year", "avg", "AAPL", Y),
    L("KAU25 평균 가격 지난 6개월", "avg", "KAU25", M6),
    L("삼성전자 작년 평균 종가", "avg", "005930.KS", Y25),
    L("mean price of NVDA last month", "avg", "NVDA", LM),
    L("테슬라 평균 주가 올해", "avg", "TSLA", Y),
    L("MSFT average in 2025", "avg", "MSFT", Y25),
    L("AAPL average close in 2010", "avg", "AAPL", Y10),
    L("SK하이닉스 지난 3개월 평균", "avg", "000660.KS", M3),
    L("FCO2.DE average price since March", "avg", "FCO2.DE", MAR),
    L("KAU26 평균 종가 이번 달", "avg", "KAU26", TM),
    L("애플 평균 가격 2025년 3월", "avg", "AAPL", ("2025-03-01", "2025-03-31")),
    L("average price of Tesla last week", "avg", "TSLA", LW),
    L("엔비디아 지난 2주 평균", "avg", "NVDA", W2),
    L("Samsung mean close over the last 10 days", "avg", "005930.KS", D10),
    L("마이크로소프트 평균 종가", "avg", "MSFT", M3),
    # --- change --------------------------------------------------------------------------------
    L("How much did NVDA change this year?", "change", "NVDA", Y),
    L("Apple return since March", "change", "AAPL", MAR),
    L("삼성전자 올해 수익률", "change", "005930.KS", Y),
    L("KAU25 지난 3개월 등락률", "change", "KAU25", M3),
    L("TSLA performance last month", "change", "TSLA", LM),
    L("SK하이닉스 작년 상승률", "change", "000660.KS", Y25),
    L("How much did Microsoft rise in 2025?", "change", "MSFT", Y25),
    L("FCO2.DE change over the past 2 weeks", "change", "FCO2.DE", W2),
    L("테슬라 지난주 얼마나 올랐어?", "change", "TSLA", LW),
    L("엔비디아 이번 달 변동률", "change", "NVDA", TM),
    L("AAPL change in 2010", "change", "AAPL", Y10),
    L("KAU26 지난달 등락", "change", "KAU26", LM),
    L("Samsung return last year", "change", "005930.KS", Y25),
    L("How did Apple perform last week?", "change", "AAPL", LW),
    L("마이크로소프트 2025년 3월 수익률", "change", "MSFT", ("2025-03-01", "2025-03-31")),
    L("NVDA % change since 2026-06-01", "change", "NVDA", ("2026-06-01", "2026-12-07")),
    L("KAU25 올해 얼마나 떨어졌어", "change", "KAU25", Y),
    L("SK하이닉스 최근 10일 변화", "change", "000660.KS", D10),
    L("Tesla gain this year", "change", "TSLA", Y),
    L("애플 수익률", "change", "AAPL", M3),
    # --- compare -------------------------------------------------------------------------------
    L("Compare AAPL and MSFT in 2025", "compare", "AAPL,MSFT", Y25),
    L("삼성전자 SK하이닉스 비교 지난 6개월", "compare", "005930.KS,000660.KS", M6),
    L("Apple vs Microsoft vs NVIDIA this year", "compare", "AAPL,MSFT,NVDA", Y),
    L("KAU25와 KAU26 비교 올해", "compare", "KAU25,KAU26", Y),
    L("Compare Tesla and NVDA last month", "compare", "TSLA,NVDA", LM),
    L("테슬라 대 애플 지난 3개월", "compare", "TSLA,AAPL", M3),
    L("FCO2.DE versus KAU25 since March", "compare", "FCO2.DE,KAU25", MAR),
    L("compare 005930 and 000660 last week", "compare", "005930.KS,000660.KS", LW),
    L("엔비디아와 마이크로소프트 작년 비교", "compare", "NVDA,MSFT", Y25),
    L("AAPL MSFT TSLA change this month", "compare", "AAPL,MSFT,TSLA", TM),
    L("삼성전자 테슬라 애플 올해 수익률 비교", "compare", "005930.KS,TSLA,AAPL", Y),
    L("Compare KAU26 with FCO2.DE over the past 2 weeks", "compare", "KAU26,FCO2.DE", W2),
    L("Apple and Samsung in March 2026", "compare", "AAPL,005930.KS", ("2026-03-01", "2026-03-31")),
    L("SK하이닉스 vs NVDA 지난달", "compare", "000660.KS,NVDA", LM),
    L("Microsoft against Apple since 2026-09-01", "compare", "MSFT,AAPL", ("2026-09-01", "2026-12-07")),
    # --- top / bottom --------------------------------------------------------------------------
    L("top 5 by volume last week", "top", "", LW, "volume desc 5"),
    L("올해 상승률 상위 5개 종목", "top", "", Y, "change desc 5"),
    L("올해 하락률 하위 3개 종목", "top", "", Y, "change asc 3"),
    L("Top 3 gainers this month", "top", "", TM, "change desc 3"),
    L("biggest losers last month", "top", "", LM, "change asc 5"),
    L("most traded instruments this year", "top", "", Y, "volume desc 5"),
    L("거래량 상위 3개 지난주", "top", "", LW, "volume desc 3"),
    L("best performers since March top 4", "top", "", MAR, "change desc 4"),
    L("worst 2 performers in 2025", "top", "", Y25, "change asc 2"),
    L("가장 많이 오른 종목 지난 3개월", "top", "", M3, "change desc 5"),
    L("가장 많이 떨어진 종목 올해", "top", "", Y, "change asc 5"),
    L("least traded last month", "top", "", LM, "volume asc 5"),
    L("top 10 by change last week", "top", "", LW, "change desc 10"),
    L("watchlist top gainers this year", "top", "W", Y, "change desc 5"),
    L("관심종목 거래량 순위 이번 달", "top", "W", TM, "volume desc 5"),
    L("top 5 by change", "top", "", M1, "change desc 5"),
    # --- signals -------------------------------------------------------------------------------
    L("Which watched stocks had a golden cross this year?", "signals", "W", Y, "golden_cross"),
    L("golden crosses this year", "signals", "", Y, "golden_cross"),
    L("AAPL signals last year", "signals", "AAPL", Y25),
    L("삼성전자 데드크로스 2025년", "signals", "005930.KS", Y25, "death_cross"),
    L("관심종목 올해 골든크로스", "signals", "W", Y, "golden_cross"),
    L("RSI oversold signals on NVDA since March", "signals", "NVDA", MAR, "rsi_oversold"),
    L("과매수 신호 지난 6개월", "signals", "", M6, "rsi_overbought"),
    L("volume spikes on Tesla this year", "signals", "TSLA", Y, "volume_spike"),
    L("거래량 급증 신호 지난달", "signals", "", LM, "volume_spike"),
    L("KAU25 signals", "signals", "KAU25", S12),
    L("death cross on MSFT in 2025", "signals", "MSFT", Y25, "death_cross"),
    L("SK하이닉스 200일선 돌파 올해", "signals", "000660.KS", Y, "breakout_200"),
    L("breakdowns below the 200-day average last year", "signals", "", Y25, "breakdown_200"),
    L("overbought alerts for my watchlist this month", "signals", "W", TM, "rsi_overbought"),
    L("FCO2.DE 신호 작년", "signals", "FCO2.DE", Y25),
    L("all signals last week", "signals", "", LW),
    # --- ratings -------------------------------------------------------------------------------
    L("best rated signals", "ratings", "", NO, "10"),
    L("highest rated signals for AAPL", "ratings", "AAPL", NO, "10"),
    L("삼성전자 신호 등급", "ratings", "005930.KS", NO, "10"),
    L("golden cross ratings", "ratings", "", NO, "10 golden_cross"),
    L("top 5 rated signals", "ratings", "", NO, "5"),
    L("가장 신뢰도 높은 신호 3개", "ratings", "", NO, "3"),
    L("KAU25 grade of signals", "ratings", "KAU25", NO, "10"),
    L("best signals on my watchlist", "ratings", "W", NO, "10"),
    L("RSI oversold rating for NVDA", "ratings", "NVDA", NO, "10 rsi_oversold"),
    L("등급 좋은 신호 상위 5", "ratings", "", NO, "5"),
    # --- news by industry ----------------------------------------------------------------------
    L("news by industry last month", "news", "", LM),
    L("뉴스 산업별 건수 올해", "news", "", Y),
    L("How many headlines per industry since June?", "news", "", ("2026-06-01", "2026-12-07")),
    L("지난주 업종별 뉴스", "news", "", LW),
    L("news counts by industry this month", "news", "", TM),
    L("industry news in 2025", "news", "", Y25),
    L("최근 3개월 뉴스 업종별", "news", "", M3),
    L("news", "news", "", M1),
    L("기사 수 업종별 지난달", "news", "", LM),
    L("headlines by industry over the past 2 weeks", "news", "", W2),
    # --- investor flows (one stock by day; stocks ranked by a group's net buying) ---------------
    L("삼성전자 외국인 순매수 지난 한 달", "flows", "005930.KS", M1),
    L("Samsung foreign net buying last month", "flows", "005930.KS", LM),
    L("investor flows for Samsung", "flows", "005930.KS", M1),
    L("SK하이닉스 수급 지난주", "flows", "000660.KS", LW),
    L("000660 foreign net buying this month", "flows", "000660.KS", TM),
    L("삼성전자 기관 순매수 최근 2주", "flows", "005930.KS", W2),
    L("삼성전자 외국인 순매수 2025년", "flows", "005930.KS", Y25),  # no rows: said so
    L("외국인이 가장 많이 순매수한 종목", "flow_top", "", M1, "foreign desc 5"),
    L("외국인 순매수 상위 종목", "flow_top", "", M1, "foreign desc 5"),
    L("top foreign net buying this month", "flow_top", "", TM, "foreign desc 5"),
    L("top 3 stocks by foreign net buying last month", "flow_top", "", LM, "foreign desc 3"),
    L("기관 순매수 상위 3개 지난 3개월", "flow_top", "", M3, "institution desc 3"),
    L("외국인 순매도 상위 2개 지난달", "flow_top", "", LM, "foreign asc 2"),
    L("top institutional net buying last week", "flow_top", "", LW, "institution desc 5"),
    L("개인 순매수 상위 종목 이번 달", "flow_top", "", TM, "individual desc 5"),
    L("largest foreign net selling since March", "flow_top", "", MAR, "foreign asc 5"),
    # --- not understood (and said so) ----------------------------------------------------------
    L("hello", "refuse", "", NO),
    L("What is the weather like?", "refuse", "", NO),
    L("XYZQ price last week", "refuse", "", NO),
]
