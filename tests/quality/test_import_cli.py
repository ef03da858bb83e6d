"""`finsignal import-csv` outcomes: exit status, the summary line, --json, dates and numbers."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from core.types import Market
from finsignal.cli import main
from market.calendar import is_trading_day
from tests.fakes.history import history, write_csv

ROWS = history(n=400)
OPEN = [r for r in ROWS if is_trading_day(Market.US, date.fromisoformat(str(r["Date"])))]  # no US holidays


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for key in list(os.environ):
        if key.startswith("FINSIGNAL_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FINSIGNAL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'f.db'}")
    for var in ("YAHOO", "KRX", "ALPHAVANTAGE", "EEX", "YAHOO_RSS", "INVESTING"):
        monkeypatch.setenv(f"FINSIGNAL_{var}_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("FINSIGNAL_MARKET_RETRY_ATTEMPTS", "1")
    return tmp_path


def with_dates(fmt: str) -> list[dict[str, object]]:
    return [{**r, "Date": date.fromisoformat(str(r["Date"])).strftime(fmt)} for r in OPEN]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["%m/%d/%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m-%d"])
def test_common_date_formats_are_detected(env: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    path = write_csv(with_dates(fmt), env / "SYN.csv")
    code, text = run(capsys, "import-csv", str(path))
    assert code == 0, text
    assert f"SYN.csv: {len(OPEN)} stored, 0 rejected, 0 repaired for SYN" in text


def test_ambiguous_dates_need_a_format(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [r for r in with_dates("%d/%m/%Y") if int(str(r["Date"])[:2]) <= 12]
    path = write_csv(rows, env / "SYN.csv")
    assert main(["import-csv", str(path)]) == 2
    text = capsys.readouterr().err
    assert "the dates read as MM/DD/YYYY or DD/MM/YYYY: say which with --date-format" in text
    code, text = run(capsys, "import-csv", str(path), "--date-format", "DD/MM/YYYY")
    assert code == 0, text
    assert f"{len(rows)} stored" in text


def test_nothing_stored_exits_non_zero_and_says_why(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{**r, "Close": "12,34"} for r in OPEN]  # a decimal comma is refused, never read as 1234
    path = write_csv(rows, env / "SYN.csv")
    code, text = run(capsys, "import-csv", str(path))
    assert code == 1
    assert f"SYN.csv: 0 stored, {len(OPEN)} rejected, 0 repaired for SYN ({len(OPEN)} unreadable)" in text
    assert f"{len(OPEN)} x unreadable number" in text
    assert "nothing stored" in text


def test_thousands_separators_in_every_column_and_json(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = env / "SYN.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        '2024-01-02,"1,000.5","1,010","995.25","1,005.5","1,005.5","1,000"\n'
        '2024-01-03,"1,005","1,012","1,001","1,010","1,010","2,500"\n'
        '2024-01-04,"1,010","1,015","1,002","1,011","12,5","1,500"\n',
        encoding="utf-8",
    )
    code, text = run(capsys, "import-csv", str(path), "--json")
    assert code == 0, text
    (out,) = json.loads(text)
    assert (out["stored"], out["rejected"], out["repaired"]) == (3, 0, 1)  # "12,5" is no factor: carried
    assert out["date_format"] == "%Y-%m-%d"
    assert out["quality"]["factor_filled"] == 1


def test_close_only_file_imports_and_backtests(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = history(n=1200)
    path = env / "KAU.csv"
    path.write_text(
        "Date,Close\n" + "".join(f"{r['Date']},{r['Adj Close']}\n" for r in rows), encoding="utf-8"
    )
    code, text = run(capsys, "import-csv", str(path), "--symbol", "KAU25")
    assert code == 0, text
    assert "price only: no volume signals" in text
    out = env / "kau.json"
    code, text = run(capsys, "backtest", "KAU25", "--years", "3", "--basis", "close", "--json", str(out))
    assert code == 0, text
    assert "returns from: close" in text
    assert "no volume data: volume signals not produced" in " ".join(text.split())
    records = json.loads(out.read_text(encoding="utf-8"))
    assert {r["note"] for r in records if r["signal"] == "volume_spike"} == {
        "no volume data: volume signals not produced"
    }
