"""examples/tenants.toml adopting a subscription pool: its stamps (made before the pool) stay where they are."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import EXAMPLES, envelope_of

PROVIDER = "00000000-0000-0000-0000-000000000000"
NEW_MEMBER = "00000000-0000-0000-0000-0000000000b2"
POOL = f"""
[[provider.pool]]
subscription_id = "{PROVIDER}"

[[provider.pool]]
subscription_id = "{NEW_MEMBER}"
resource_group = "rg-tenantctl-b2"
"""


def test_the_example_adopting_a_pool_plans_no_op_and_its_stamps_stay_in_the_provider_subscription(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the embedded emulator keeps its cloud in ./.tenantctl
    manifest = tmp_path / "tenants.toml"
    shutil.copy(EXAMPLES / "tenants.toml", manifest)
    applied = cli("apply", "--emulator", "--auto-approve", "-o", "json")
    assert applied.exit_code == 0, applied.output
    before = envelope_of(cli("export", "routing", "--emulator", "-o", "json"))["data"]["tenants"]

    text = manifest.read_text(encoding="utf-8")
    at = text.index("[provider.app]")
    manifest.write_text(text[:at] + POOL.lstrip() + "\n" + text[at:], encoding="utf-8")
    again = cli("plan", "--emulator", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("No changes")

    after = envelope_of(cli("export", "routing", "--emulator", "-o", "json"))["data"]["tenants"]
    assert after == before  # not one endpoint moved
    on_stamps = [t for t, entry in after.items() if "--0" in (entry["account_id"] or "")]
    assert len(on_stamps) >= 10
    assert all(PROVIDER in after[t]["account_id"] for t in on_stamps)
    record = json.loads((tmp_path / ".tenantctl" / "pool.json").read_text())["production"]
    assert {"stamp:eu1", "stamp:us1"} <= set(record[PROVIDER])
