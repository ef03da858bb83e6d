import pytest

from core.errors import ConfigError, SymbolError
from core.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("FINSIGNAL_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults_need_no_token() -> None:
    s = load_settings()
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert not s.telegram_enabled
    assert s.backtest_horizons == [5, 20, 60]


def test_lists_from_comma_separated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINSIGNAL_ADMIN_IDS", "12, 34")
    monkeypatch.setenv("FINSIGNAL_BACKTEST_HORIZONS", "5,10")
    s = load_settings()
    assert s.admin_ids == [12, 34]
    assert s.backtest_horizons == [5, 10]


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    Path(str(tmp_path), ".env").write_text("FINSIGNAL_PREMIUM_CHANNEL_ID=-100123\n", encoding="utf-8")
    assert load_settings().premium_channel_id == -100123


@pytest.mark.parametrize(
    ("var", "value", "expected_words"),
    [
        ("FINSIGNAL_ADMIN_IDS", "alice", "valid integer"),
        ("FINSIGNAL_WEBHOOK_PORT", "99999", "less than or equal"),
        ("FINSIGNAL_DATABASE_URL", "not a url", "SQLAlchemy URL"),
        ("FINSIGNAL_BRIEFING_TIMES", "8am", "HH:MM"),
        ("FINSIGNAL_TELEGRAM_MODE", "carrier-pigeon", "polling"),
    ],
)
def test_invalid_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, expected_words: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"{var} is invalid:")
    assert expected_words in message
    assert "\n" not in message


def test_secrets_never_render(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINSIGNAL_TELEGRAM_TOKEN", "123456:SECRET-TOKEN")
    monkeypatch.setenv("FINSIGNAL_KRX_AUTH_KEY", "krx-secret")
    monkeypatch.setenv("FINSIGNAL_ALPHAVANTAGE_KEY", "av-secret")
    s = load_settings()
    rendered = repr(s) + str(s) + s.model_dump_json()
    for secret in ("SECRET-TOKEN", "krx-secret", "av-secret"):
        assert secret not in rendered
    assert s.telegram_enabled


def test_invalid_secret_value_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINSIGNAL_WEBHOOK_PORT", "SECRET-TOKEN-LOOKALIKE")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "SECRET-TOKEN-LOOKALIKE" not in str(info.value)


def test_symbol_error_carries_suggestions() -> None:
    err = SymbolError("KAU2", suggestions=["KAU25", "KAU26"])
    assert err.suggestions == ("KAU25", "KAU26")
    assert "KAU25" in str(err)


def test_every_setting_is_documented() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    example = (root / ".env.example").read_text(encoding="utf-8")
    readme = (root / "docs" / "settings.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        var = f"FINSIGNAL_{name.upper()}"
        assert var in example, f"{var} missing from .env.example"
        assert var in readme, f"{var} missing from docs/settings.md"


def test_env_example_is_a_valid_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """Copying .env.example to .env gives working settings (the defaults)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    example = (root / ".env.example").read_text(encoding="utf-8")
    Path(str(tmp_path), ".env").write_text(example, encoding="utf-8")
    assert load_settings() == Settings(_env_file=None)  # type: ignore[call-arg]


def test_every_secret_setting_reaches_the_log_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    """secret_values() unwraps every SecretStr field, so a secret added later is masked in logs too."""
    from pydantic import SecretStr

    def is_secret(annotation: object) -> bool:
        return annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())

    secret_fields = [name for name, field in Settings.model_fields.items() if is_secret(field.annotation)]
    assert "telegram_token" in secret_fields
    for name in secret_fields:
        monkeypatch.setenv(f"FINSIGNAL_{name.upper()}", f"1:value-of-{name}")  # of a token's form too
    values = load_settings().secret_values()
    assert sorted(values) == sorted(f"1:value-of-{name}" for name in secret_fields)
