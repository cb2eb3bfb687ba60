"""``tenant add`` of a shared tenant pins its stamp account (issue 15): balanced, sticky, overridable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.lifecycle.conftest import envelope_of

STAMP_OF_TWO = """\
schema = 1

[provider]
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-tenantctl"
location = "swedencentral"
name_prefix = "ctso"

[stamps.eu1]
location = "swedencentral"   # 100K TPM of budgets per account copy
max_accounts = 2
deployments = [{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "DataZoneStandard", capacity = 100 }]
"""


@pytest.fixture
def stamp_of_two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tenants.toml"
    path.write_text(STAMP_OF_TWO, encoding="utf-8")
    return path


def _add(cli: Any, tenant: str, tpm: int, *extra: str) -> dict[str, Any]:
    result = cli(
        "tenant", "add", tenant, "--isolation", "shared", "--stamp", "eu1", "--tpm", str(tpm), *extra, "-o", "json"
    )
    assert result.exit_code == 0, result.output
    return envelope_of(result)["data"]


def test_tenant_add_pins_shared_tenants_to_accounts_by_budget(cli: Any, stamp_of_two: Path) -> None:
    assert "stamp_account = 1" in _add(cli, "alpha", 70_000)["toml"]
    assert "stamp_account = 2" in _add(cli, "beta", 70_000)["toml"]  # alpha's account has 30K left
    assert "stamp_account = 1" in _add(cli, "gamma", 20_000)["toml"]  # a tie (70K each): the first account
    assert "stamp_account = 2" in _add(cli, "delta", 20_000)["toml"]  # the least loaded: 70K against 90K
    text = stamp_of_two.read_text(encoding="utf-8")
    assert text.startswith(STAMP_OF_TWO)


def test_an_explicit_stamp_account_wins_and_the_same_add_again_is_a_no_op(cli: Any, stamp_of_two: Path) -> None:
    assert "stamp_account = 2" in _add(cli, "alpha", 1000, "--stamp-account", "2")["toml"]
    assert _add(cli, "beta", 1000)["changed"] is True
    before = stamp_of_two.read_bytes()
    assert _add(cli, "beta", 1000)["changed"] is False
    assert stamp_of_two.read_bytes() == before
