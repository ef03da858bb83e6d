"""docker-compose.yml (issue 20) checked without docker: the roles it runs are the CLI's, every
FINSIGNAL_ variable is a setting with a valid value, one collector, two API replicas, one bot."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import Settings
from finsignal.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return data


def finsignal_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose["services"].items() if s.get("image", "").startswith("finsignal")}


def role_choices() -> set[str]:
    parser = build_parser(only="run")
    sub = next(a for a in parser._actions if a.dest == "command")
    run = sub.choices["run"]  # type: ignore[index]
    return set(next(a for a in run._actions if a.dest == "role").choices or ())


def test_the_services_of_a_scaled_out_deployment(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"redis", "mysql", "collector", "api", "bot"} <= set(services)
    ours = finsignal_services(compose)
    assert set(ours) == {"collector", "api", "bot"}
    roles = {name: s["command"][s["command"].index("--role") + 1] for name, s in ours.items()}
    assert roles == {"collector": "collector", "api": "api", "bot": "bot"}
    assert services["api"]["deploy"]["replicas"] == 2
    assert "deploy" not in services["collector"]  # exactly one collector (a second one only waits)
    assert "deploy" not in services["bot"]
    assert "--appendonly" in services["redis"]["command"]  # streams survive a Redis restart
    for name, service in ours.items():
        assert set(service["depends_on"]) == {"mysql", "redis"}, name
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in compose["volumes"], (name, volume)


def test_each_command_is_one_the_cli_accepts() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    known = role_choices()
    for name, service in finsignal_services(compose).items():
        command = list(service["command"])
        role = command[command.index("--role") + 1]
        assert role in known, f"{name}: --role {role} is not a role of `finsignal run` ({sorted(known)})"
        if role in role_choices():
            args = build_parser(only=command[0]).parse_args(command)
            assert args.role == role


def test_every_finsignal_variable_is_a_valid_setting(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, service in finsignal_services(compose).items():
        env = {k: str(v) for k, v in service["environment"].items()}
        assert env["FINSIGNAL_REDIS_URL"].startswith("redis://redis:"), name
        for key, value in env.items():
            assert key.startswith("FINSIGNAL_"), (name, key)
            assert key.removeprefix("FINSIGNAL_").lower() in Settings.model_fields, (name, key)
            monkeypatch.setenv(key, re.sub(r"\$\{[^}]+\}", "secret", value))  # compose's ${VAR:?...}
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        assert settings.database_url.startswith("mysql+aiomysql://finsignal:secret@mysql:3306/")
        assert str(settings.cold_dir) == "/cold"
        for key in env:
            monkeypatch.delenv(key)
    consumers = [
        s["environment"].get("FINSIGNAL_REDIS_CONSUMER") for s in finsignal_services(compose).values()
    ]
    assert sorted(c for c in consumers if c) == ["bot", "collector"]  # API replicas: one group each
