"""Investor flows from KRX's public data when KIS fails (SOURCES.md 8.1), through the real MarketData
against the KIS and KRX stand-ins: comma strings, ISINs, 5xx and malformed answers, LOGOUT."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from core.ports import Repositories
from core.types import Market
from market import MarketData
from market.resolver import make_instrument
from market.sources.krx_flows import isin
from tests.fakes.fake_kis import FakeKis
from tests.fakes.fake_krx_data import FakeKrxData
from tests.fakes.fake_sources import FakeSources
from tests.market.conftest import FakeClock, make_settings

SAMSUNG = make_instrument("005930.KS", Market.KRX)
HYNIX = make_instrument("000660.KS", Market.KRX)
FRIDAY = date(2026, 11, 20)  # the clock's last finished session


def krx_rows(days: int) -> list[dict[str, str]]:
    """Newest first, as KRX answers: institutions, other corporations, individuals, foreigners."""
    out = []
    for k in range(days):
        day = FRIDAY - timedelta(days=k)
        if day.weekday() >= 5:
            continue
        inst, corp, foreign = 1_000_000 * (k + 1), -50_000, -2_000_000 * (k % 3 - 1)
        indiv = -(inst + corp + foreign)
        out.append({"TRD_DD": f"{day:%Y/%m/%d}", "TRDVAL1": f"{inst:,}", "TRDVAL2": f"{corp:,}",
                    "TRDVAL3": f"{indiv:,}", "TRDVAL4": f"{foreign:,}", "TRDVAL_TOT": "0"})  # fmt: skip
    return out


@pytest.fixture
def krx() -> Iterator[FakeKrxData]:
    with FakeKrxData() as server:
        server.flows[isin("005930")] = krx_rows(40)
        server.flows[isin("000660")] = krx_rows(40)
        yield server


def test_isin_check_digit() -> None:
    assert isin("005930") == "KR7005930003"  # Samsung Electronics
    assert isin("000660") == "KR7000660001"  # SK hynix


async def test_krx_answers_when_kis_is_down(
    fake: FakeSources, krx: FakeKrxData, repos: Repositories, clock: FakeClock
) -> None:
    with FakeKis(rate_per_s=1000, token_gap_s=0.3, now=clock.now) as kis:
        kis.down_after = 0  # every quotation call answers 5xx
        settings = make_settings(
            fake, krx_data_base_url=krx.url, krx_id="member", kis_rate_per_s=200.0, kis_token_min_gap_s=0.4,
            market_retry_attempts=2, market_retry_base_s=0.01, **kis.settings_overrides(),
        )  # fmt: skip
        md = MarketData(settings, repos, clock=clock)
        krx.fail("5xx")  # KRX's first answer fails too: retried by its guard
        flows = await md.investor_flows(SAMSUNG)
        await md.close()
    assert len(flows) == 20
    last = flows[-1]
    assert (last.day, last.source) == (FRIDAY, "krx_flows")
    assert last.institution_value == 1_000_000
    assert last.foreign_value == 2_000_000  # -2,000,000 x (0 - 1)
    assert last.individual_value == -(1_000_000 - 50_000 + 2_000_000)
    assert last.institution_qty == 1_000  # the volume call (the stand-in's values / 1,000)
    assert krx.calls["/comm/bldAttendant/getJsonData.cmd"] == 3  # 503, values, volumes


async def test_logout_and_malformed_answers_leave_what_is_stored(
    fake: FakeSources, krx: FakeKrxData, sqlite_repos: Repositories, clock: FakeClock
) -> None:
    settings = make_settings(fake, krx_data_base_url=krx.url, krx_id="member", market_retry_attempts=1)
    md = MarketData(settings, sqlite_repos, clock=clock)
    krx.logged_in = False
    assert await md.investor_flows(SAMSUNG) == []  # LOGOUT: a clear warning, nothing stored
    health = {h.source: h for h in md.health()}
    assert "member login" in (health["krx_flows"].last_error or "")
    krx.logged_in = True
    krx.fail("malformed")
    assert await md.investor_flows(SAMSUNG) == []
    assert len(await md.investor_flows(SAMSUNG)) == 20  # the next ask succeeds
    await md.close()


async def test_without_a_krx_member_id_krx_is_never_asked(
    fake: FakeSources, krx: FakeKrxData, sqlite_repos: Repositories, clock: FakeClock
) -> None:
    md = MarketData(make_settings(fake, krx_data_base_url=krx.url), sqlite_repos, clock=clock)
    assert await md.investor_flows(SAMSUNG) == []
    await md.close()
    assert sum(krx.calls.values()) == 0


def _member_settings(fake: FakeSources, krx: FakeKrxData, pw: str = "s3cret") -> object:
    return make_settings(fake, krx_data_base_url=krx.url, krx_id="member", krx_pw=pw, market_retry_attempts=1)


async def test_member_login_then_the_session_is_kept_and_renewed_once_when_it_ends(
    fake: FakeSources, krx: FakeKrxData, sqlite_repos: Repositories, clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    krx.logged_in, krx.members = False, {"member": "s3cret"}
    md = MarketData(_member_settings(fake, krx), sqlite_repos, clock=clock)  # type: ignore[arg-type]
    with caplog.at_level("DEBUG"):
        assert len(await md.investor_flows(SAMSUNG)) == 20
        assert len(krx.logins) == 1  # one login for the two data calls (values, volumes)
        assert {k: krx.logins[0][k] for k in ("mbrId", "pw")} == {"mbrId": "member", "pw": "s3cret"}
        krx.expire_sessions()  # KRX ends the session early: LOGOUT, one new login, the call again
        assert len(await md.investor_flows(HYNIX)) == 20
        assert len(krx.logins) == 2
    await md.close()
    assert "s3cret" not in caplog.text


async def test_a_duplicate_login_takes_the_session_over(
    fake: FakeSources, krx: FakeKrxData, sqlite_repos: Repositories, clock: FakeClock
) -> None:
    krx.logged_in, krx.members, krx.duplicate = False, {"member": "s3cret"}, True
    md = MarketData(_member_settings(fake, krx), sqlite_repos, clock=clock)  # type: ignore[arg-type]
    assert len(await md.investor_flows(SAMSUNG)) == 20
    await md.close()
    assert [f.get("skipDup") for f in krx.logins] == [None, "Y"]  # CD011, then sent with skipDup=Y


@pytest.mark.parametrize(
    ("expired", "words"), [(False, "login refused (CD002)"), (True, "new member password")]
)
async def test_a_refused_login_is_named_and_not_repeated(
    fake: FakeSources, krx: FakeKrxData, sqlite_repos: Repositories, clock: FakeClock,
    expired: bool, words: str,
) -> None:  # fmt: skip
    krx.logged_in, krx.members = False, {"member": "other"}
    if expired:
        krx.members, krx.expired_pw = {"member": "s3cret"}, {"member"}
    md = MarketData(_member_settings(fake, krx), sqlite_repos, clock=clock)  # type: ignore[arg-type]
    assert await md.investor_flows(SAMSUNG) == []
    health = {h.source: h for h in md.health()}
    assert words in (health["krx_flows"].last_error or "")
    assert await md.investor_flows(SAMSUNG) == []  # within the cool-down: no second login
    await md.close()
    assert len(krx.logins) == 1
    assert krx.calls["/comm/bldAttendant/getJsonData.cmd"] == 0
