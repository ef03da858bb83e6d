from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings, load_settings
from tests.fundflow.fake_flows import FakeFlows


@pytest.fixture
def fake() -> Iterator[FakeFlows]:
    with FakeFlows() as server:
        yield server


@pytest.fixture
def make_settings(fake: FakeFlows, tmp_path: Path) -> Any:
    def build(**extra: Any) -> Settings:
        return load_settings(**{**fake.settings_overrides(), "fundflow_dir": tmp_path / "ff", **extra})

    return build
