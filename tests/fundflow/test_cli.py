"""`finsignal flows collect|status|report|export` (and the `fundflow` alias) through the real CLI entry
point and the stand-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from finsignal.cli import main
from tests.fundflow.fake_flows import FakeFlows


@pytest.fixture
def env(fake: FakeFlows, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FINSIGNAL_FUNDFLOW_DIR", str(tmp_path / "ff"))
    return tmp_path / "ff"


def test_collect_status_report(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "collect", "--years", "2", "--markets", "stocks", "crypto"]) == 0
    out = capsys.readouterr().out
    assert "stored 192 months in 8 series; 0 up to date; 0 failed" in out  # 8 series x 24 months
    assert sorted(p.name for p in env.glob("*.parquet")) == ["crypto.parquet", "stocks.parquet"]

    assert main(["flows", "status"]) == 0
    out = capsys.readouterr().out
    assert "rows: crypto=48, stocks=144" in out
    assert "bonds/GS10                   not collected" in out

    chart = env / "out" / "flows.png"
    assert main(["flows", "report", "--lang", "ko", "--chart", str(chart)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# 시장 간 자금 흐름")
    assert chart.exists()
    assert (env / "report.ko.md").read_text(encoding="utf-8").startswith("# 시장 간 자금 흐름")


def test_unknown_market_is_a_usage_error(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fundflow", "collect", "--markets", "stonks"]) == 2
    assert "unknown market(s) stonks" in capsys.readouterr().err


def test_missing_fred_key_is_logged_and_the_rest_is_stored(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINSIGNAL_FRED_KEY", "")
    assert main(["flows", "collect", "--years", "1", "--markets", "real_estate"]) == 0
    out = capsys.readouterr().out
    assert "failed real_estate/CSUSHPINSA: fred: CSUSHPINSA: FINSIGNAL_FRED_KEY is not set" in out
    assert "stored 24 months in 2 series" in out
    assert "real_estate/CSUSHPINSA\tfred" in (env / "errors.log").read_text()


def test_report_json_and_csv_export(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import csv
    import json

    assert main(["flows", "collect", "--years", "1", "--markets", "crypto", "bonds"]) == 0
    out_json, out_csv = env / "flows.json", env / "rows.csv"
    assert main(["flows", "report", "--json", str(out_json)]) == 0
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert len(data["months"]) == 12
    assert sorted(data["shares"]) == ["bonds", "crypto"]
    latest = data["shares"]["bonds"][-1] + data["shares"]["crypto"][-1]
    assert latest == pytest.approx(1.0)
    assert main(["flows", "export", "--csv", str(out_csv)]) == 0
    with open(out_csv, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 * 12 + 2 * 12  # 5 bond series and 2 crypto pairs, 12 months each
    assert list(rows[0]) == [
        "market",
        "series",
        "month",
        "value",
        "unit",
        "volume",
        "dollar_volume",
        "source",
        "fetched_at",
    ]
    assert "wrote 84 rows" in capsys.readouterr().out

    assert main(["flows", "export", "--csv"]) == 0  # no path: CSV on stdout, for `> flows.csv`
    printed = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert printed == rows
