"""/readyz names a database that answers reads but refuses writes (read-only, disk full): 503."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiEnv
from tests.fakes.storage_faults import StorageFaults


@pytest.mark.parametrize("fault", ["read_only", "disk_full"])
async def test_readyz_names_the_storage_fault(api: ApiEnv, fault: str) -> None:
    with StorageFaults() as faults:
        faults.set(fault)
        ready = await api.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"] == fault
        assert ready.json()["status"] == "not ready"
        faults.clear()
        again = await api.client.get("/readyz")
    assert again.status_code == 200
    assert again.json()["database"] == "ok"
