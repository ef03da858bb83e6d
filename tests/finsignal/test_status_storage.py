"""`finsignal status` names a database that answers reads but refuses writes. (`status --check`, the
container health check, only asks whether the database answers and is migrated, with the driver alone:
it stays fast; `/readyz` and `status` are where a storage fault shows.)"""

from __future__ import annotations

import json

import pytest

from finsignal.cli import main
from tests.fakes.storage_faults import StorageFaults
from tests.finsignal.test_cli import env

__all__ = ["env"]


@pytest.mark.parametrize("fault", ["read_only", "disk_full"])
def test_status_names_the_storage_fault(env: object, fault: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    with StorageFaults() as faults:
        faults.set(fault)
        main(["status", "--json"])
        report = json.loads(capsys.readouterr().out)
        assert report["database"]["storage"] == fault
        assert report["database"]["ok"] is False
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["database"]["storage"] == "ok"
