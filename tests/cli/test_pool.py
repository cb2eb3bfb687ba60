"""examples/pool.toml end to end on the embedded emulator: 104 dedicated tenants over four subscriptions."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import EXAMPLES, envelope_of

REMOVED = "00000000-0000-0000-0000-0000000000a2"


def test_the_pool_example_applies_then_plans_no_op_and_keeps_its_subscriptions(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the embedded emulator keeps its cloud in ./.tenantctl
    manifest = tmp_path / "pool.toml"
    shutil.copy(EXAMPLES / "pool.toml", manifest)

    applied = cli("apply", "--emulator", "--auto-approve", "-f", str(manifest), "-o", "json")
    assert applied.exit_code == 0, applied.stdout
    assert envelope_of(applied)["status"] == "success"

    again = cli("plan", "--emulator", "--detailed-exitcode", "-f", str(manifest))
    assert again.exit_code == 0, again.stdout
    assert "No changes" in again.stdout

    # 104 tenants in one region: no subscription holds more than Azure's 30, the capped one 20,
    # and the pinned tenant is where its pin says.
    record = json.loads((tmp_path / ".tenantctl" / "pool.json").read_text())["pool-example"]
    per_subscription = Counter({sub: len([t for t in ts if not t.startswith("stamp:")]) for sub, ts in record.items()})
    # the two unpinned stamps were placed first, in the emptiest members (pool order breaks the tie)
    assert {sub for sub, ts in record.items() for t in ts if t.startswith("stamp:")} == {
        "00000000-0000-0000-0000-0000000000a1",
        "00000000-0000-0000-0000-0000000000a2",
    }
    assert sum(per_subscription.values()) == 104
    assert len(per_subscription) == 4
    assert max(per_subscription.values()) <= 30
    assert per_subscription["00000000-0000-0000-0000-0000000000a4"] == 20
    assert "customer-007" in record["00000000-0000-0000-0000-0000000000a4"]

    # Swapping out a subscription that still hosts tenants is refused before anything is observed.
    manifest.write_text(manifest.read_text().replace(REMOVED, "00000000-0000-0000-0000-0000000000a5"))
    refused = cli("validate", "-f", str(manifest), "-o", "json")
    assert refused.exit_code != 0
    [error] = [d for d in envelope_of(refused)["diagnostics"] if d["severity"] == "error"]
    assert error["code"] == "pool-subscription-in-use"
    assert REMOVED in error["summary"]
    assert record[REMOVED][0] in error["summary"]
    blocked = cli("plan", "--emulator", "-f", str(manifest))
    assert blocked.exit_code != 0
    assert REMOVED in blocked.stdout + blocked.stderr
