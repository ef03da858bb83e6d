"""The instance id is stable across restarts (kept in the data directory), never the pid."""

from __future__ import annotations

from pathlib import Path

from core.instance import instance_id


def test_made_once_and_kept(tmp_path: Path) -> None:
    first = instance_id(None, tmp_path / "data", "bot")
    assert first.endswith(":bot")
    assert instance_id(None, tmp_path / "data", "bot") == first  # a restart: the same id
    assert instance_id(None, tmp_path / "data", "scheduler") == first.replace(":bot", ":scheduler")
    assert instance_id(None, tmp_path / "other", "bot") != first
    assert (tmp_path / "data" / "instance_id").read_text().strip() == first.removesuffix(":bot")


def test_the_setting_wins(tmp_path: Path) -> None:
    assert instance_id("host-7", tmp_path, "all") == "host-7:all"
    assert not (tmp_path / "instance_id").exists()
