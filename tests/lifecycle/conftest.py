"""Lifecycle test helpers: the CLI runner of tests/cli and a working directory holding the example manifest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLES, cli, envelope_of

__all__ = ["EXAMPLES", "SMALL", "cli", "envelope_of", "small", "workdir"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cwd (its own emulator state in .tenantctl/) with examples/tenants.toml copied in."""
    shutil.copy(EXAMPLES / "tenants.toml", tmp_path / "tenants.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


SMALL = """\
# A small fleet for lifecycle tests: one of each isolation model the provider hosts.
schema = 1

[provider]
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-tenantctl"
location = "swedencentral"
name_prefix = "ctso"
manifest_name = "lifecycle"

[defaults]
deployments = [{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 10 }]

[stamps.eu1]
location = "swedencentral"
deployments = [{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "DataZoneStandard", capacity = 300 }]

[tenants.acme]
isolation = "dedicated"
protected = true

[tenants.hooli]
isolation = "dedicated"

[tenants.globex]
isolation = "dedicated-deployment"
stamp = "eu1"
deployments = [{ name = "chat", sku = "DataZoneStandard", capacity = 20 }]

[tenants.initech]
isolation = "shared"
stamp = "eu1"
tpm = 20000
"""


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cwd with the small lifecycle manifest (and, once used, its own emulator cloud)."""
    (tmp_path / "tenants.toml").write_text(SMALL, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path
