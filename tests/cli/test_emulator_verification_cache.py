"""`plan --emulator` keeps tenant-provided verdicts in the verification cache, like a plan against Azure.

Each state of the embedded emulator is its own world (keyed by its own subscription), so a second
plan on the same state verifies nothing (issue 13: ~1 s and 200 requests at 1,000 tenants), and a new
state never inherits a verdict.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tenantctl.manifest.load import load_manifest
from tenantctl.tenant_provided.cache import CACHE_FILE
from tests.cli.conftest import EXAMPLES


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(EXAMPLES / "tenants.toml", tmp_path / "tenants.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _cached_verdicts() -> dict[str, Any]:
    path = Path(os.environ["TENANTCTL_STATE_DIR"]) / CACHE_FILE
    if not path.exists():
        return {}
    entries: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["entries"]
    return entries


def _tenant_provided(workdir: Path) -> int:
    manifest = load_manifest(workdir / "tenants.toml").manifest
    assert manifest is not None
    return sum(t.isolation.value == "tenant-provided" for t in manifest.tenants.values())


def test_a_plan_on_the_emulator_caches_each_passed_verdict_and_a_new_state_does_not_reuse_them(
    cli: Any, workdir: Path
) -> None:
    assert cli("plan", "--emulator").exit_code in (0, 2)
    first = _cached_verdicts()
    assert len(first) == _tenant_provided(workdir) > 0

    assert cli("plan", "--emulator").exit_code in (0, 2)
    assert _cached_verdicts() == first  # nothing verified again, nothing re-stamped

    shutil.rmtree(workdir / ".tenantctl")  # a new emulator world: its verdicts are its own
    assert cli("plan", "--emulator").exit_code in (0, 2)
    assert len(_cached_verdicts()) == 2 * len(first)


def test_a_zero_ttl_caches_nothing(cli: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANTCTL_VERIFY_TTL", "0")
    assert cli("plan", "--emulator").exit_code in (0, 2)
    assert _cached_verdicts() == {}
