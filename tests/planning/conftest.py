"""Shared helpers for the planning tests: manifests from TOML text, scenario folders."""

from __future__ import annotations

from pathlib import Path

from tenantctl.diagnostics import assert_no_errors
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest

SCENARIOS = Path(__file__).parent / "scenarios"


def manifest_from(text: str) -> Manifest:
    """A validated manifest; fails the test with every diagnostic if the text is invalid."""
    result = parse_manifest(text)
    assert_no_errors(result.diagnostics)
    assert result.manifest is not None
    return result.manifest


SUB = "00000000-0000-0000-0000-000000000001"
LOC = "swedencentral"

HEAD = f"""\
schema = 1

[provider]
subscription_id = "{SUB}"
resource_group = "rg-tenants"
location = "{LOC}"
name_prefix = "ctso"
manifest_name = "prod"

[defaults]
deployments = [
  {{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 10 }},
]
"""


def stamp_block(stamp: str = "eu1", *, per_account: int = 32, max_accounts: int = 4) -> str:
    return f"""
[stamps.{stamp}]
location = "{LOC}"
max_deployments_per_account = {per_account}
max_accounts = {max_accounts}
deployments = [
  {{ name = "mini", model = "gpt-4o-mini", version = "2024-07-18", sku = "DataZoneStandard", capacity = 100 }},
]
"""


def on_stamp(tenant: str, stamp: str = "eu1", *, capacity: int = 1, extra: str = "") -> str:
    return f"""
[tenants.{tenant}]
isolation = "dedicated-deployment"
stamp = "{stamp}"
deployments = [{{ name = "chat", capacity = {capacity} }}]
{extra}"""


def dedicated(tenant: str, *, capacity: int = 10, extra: str = "") -> str:
    return f"""
[tenants.{tenant}]
isolation = "dedicated"
deployments = [{{ name = "chat", capacity = {capacity} }}]
{extra}"""
