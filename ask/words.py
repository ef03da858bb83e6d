"""The words the interpreter listens for, Korean and English (regular expressions over lower-case text)."""

from __future__ import annotations

import re

from core.types import SignalType

HANGUL = re.compile(r"[가-힣]")

SIGNALS: dict[SignalType, str] = {
    SignalType.GOLDEN_CROSS: r"golden\s*-?\s*cross(?:es)?|골든\s*크로스",
    SignalType.DEATH_CROSS: r"dea(?:th|d)\s*-?\s*cross(?:es)?|데(?:드|스)\s*크로스",
    SignalType.BREAKOUT_200: r"break\s*-?\s*outs?|200.?(?:일선?|day)\s*(?:상향\s*)?돌파|상향\s*돌파|돌파",
    SignalType.BREAKDOWN_200: r"break\s*-?\s*downs?|200.?(?:일선?|day)\s*(?:하향\s*)?(?:이탈|하향)|하향\s*돌파|이탈",
    SignalType.RSI_OVERBOUGHT: r"over\s*-?\s*bought|과매수",
    SignalType.RSI_OVERSOLD: r"over\s*-?\s*sold|과매도",
    SignalType.VOLUME_SPIKE: r"volume\s*spikes?|거래량\s*(?:급증|폭증|스파이크)",
}
SIGNAL_NAMES = {
    SignalType.GOLDEN_CROSS: ("golden cross", "골든크로스"),
    SignalType.DEATH_CROSS: ("death cross", "데드크로스"),
    SignalType.BREAKOUT_200: ("200-day breakout", "200일선 돌파"),
    SignalType.BREAKDOWN_200: ("200-day breakdown", "200일선 이탈"),
    SignalType.RSI_OVERBOUGHT: ("RSI overbought", "RSI 과매수"),
    SignalType.RSI_OVERSOLD: ("RSI oversold", "RSI 과매도"),
    SignalType.VOLUME_SPIKE: ("volume spike", "거래량 급증"),
    SignalType.BB_UPPER_BREAK: ("upper Bollinger band break", "볼린저 밴드 상단 돌파"),
    SignalType.BB_LOWER_BREAK: ("lower Bollinger band break", "볼린저 밴드 하단 이탈"),
    SignalType.BB_SQUEEZE_BREAKOUT: ("Bollinger squeeze breakout", "볼린저 스퀴즈 돌파"),
    SignalType.HIGH_52W: ("new 52-week high", "52주 신고가"),
    SignalType.LOW_52W: ("new 52-week low", "52주 신저가"),
    SignalType.HEAD_AND_SHOULDERS: ("head and shoulders", "헤드 앤 숄더"),
    SignalType.INVERSE_HEAD_AND_SHOULDERS: ("inverse head and shoulders", "역헤드 앤 숄더"),
    SignalType.DOUBLE_TOP: ("double top", "쌍봉"),
    SignalType.DOUBLE_BOTTOM: ("double bottom", "쌍바닥"),
}

SIGNAL_WORD = r"\bsignals?\b|\balerts?\b|신호|시그널|알림"
WATCHLIST = r"watch\s*-?\s*list|watched|my (?:stocks|instruments|symbols)|관심\s*종목|내\s*종목|워치리스트|감시\s*종목"
RATINGS = r"\brat(?:ed|ing|ings)\b|\bgrades?\b|best\s+signals?|most\s+reliable|등급|평점|신뢰도|성적|적중률|(?<!상)승률"
NEWS = r"\bnews\b|headlines?|뉴스|기사|헤드라인"
FLOWS = (
    r"\bflows?\b|investors?|net\s+(?:buy|sell|purchase)|foreign(?:ers?)?\s+(?:net\s+)?(?:buy|sell)|"
    r"수급|외국인|기관|개인\s*투자자|순매수|순매도"
)
INSTITUTION = r"institution(?:s|al)?|기관"
INDIVIDUAL = r"individuals?|retail|개인"
NET_SELL = r"net\s+sell(?:ing|s)?|net\s+sold|sold\s+most|순매도"
TOP = r"\btop\b|\bbottom\b|\bbest\b|\bworst\b|biggest|largest|most|least|gainers?|losers?|highest\s+volume|상위|하위|가장|많이|제일|순위|랭킹"
BOTTOM = r"\bbottom\b|\bworst\b|losers?|least|fell\s+most|dropped\s+most|하위|하락|내린|떨어진|빠진|덜"
VOLUME = r"volume|traded|거래량|거래\s*대금|거래가?\s*많|많이\s*거래"
MAX = r"highest|\bmax(?:imum)?\b|\bpeak\b|\btop\s+price|최고|고점|가장\s*높|최댓값|최대"
MIN = r"lowest|\bmin(?:imum)?\b|\bbottom\s+price|최저|저점|가장\s*낮|최솟값|최소"
AVG = r"average|\bmean\b|\bavg\b|평균"
CHANGE = (
    r"change|return|performance|perform|gain(?:ed)?|\brise\b|\brose\b|\bfell\b|\bfall\b|\bup\b|\bdown\b|"
    r"\bmove(?:d)?\b|how much|수익률|등락|변화|변동|상승률|하락률|올랐|떨어졌|내렸|상승|하락|얼마나|몇\s*%|퍼센트"
)
COMPARE = r"compare|comparison|\bvs\.?\b|versus|against|비교|대비|와\s|과\s|랑\s|하고\s"
HISTORY = r"history|price|prices|chart|trend|close|closing|series|종가|추이|시세|가격|차트|흐름|주가"
CLOSE = r"\bclose\b|closing|종가"
COUNT_N = re.compile(
    r"(?:top|bottom|best|worst|상위|하위)\s*(\d{1,3})|(\d{1,3})\s*(?:개|종목|위|names|stocks|instruments)"
)
