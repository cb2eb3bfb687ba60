"""Shared helpers for manifest tests: a valid base manifest, and a generator of large fleets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantctl.diagnostics import Diagnostic
from tenantctl.manifest.load import LoadResult, parse_manifest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
DATA = Path(__file__).parent / "data"
GOLDEN = Path(__file__).parent / "golden"

BASE = """\
schema = 1

[provider]
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-tenantctl"
location = "swedencentral"
name_prefix = "ctso"

[provider.app]
client_id = "11111111-1111-1111-1111-111111111111"
home_directory = "22222222-2222-2222-2222-222222222222"

[defaults]
deployments = [
  { name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 10 },
  { name = "embed", model = "text-embedding-3-small", version = "1", sku = "Standard", capacity = 5 },
]

[stamps.eu1]
location = "swedencentral"
deployments = [
  { name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "DataZoneStandard", capacity = 100 },
  { name = "mini", model = "gpt-4o-mini", version = "2024-07-18", sku = "GlobalStandard", capacity = 50 },
]
"""


def check(extra: str = "", base: str = BASE) -> LoadResult:
    """Load the base manifest with ``extra`` TOML appended."""
    return parse_manifest(base + "\n" + extra)


def codes(result: LoadResult) -> list[tuple[str, str]]:
    return [(d.code, d.path) for d in result.diagnostics]


def only(result: LoadResult, code: str) -> list[Diagnostic]:
    return [d for d in result.diagnostics if d.code == code]


def fleet_manifest(tenants: int) -> str:
    """A valid manifest with ``tenants`` tenants spread over the four isolation models."""
    stamps = max(1, tenants // 200)
    parts = [BASE.split("[stamps.eu1]", maxsplit=1)[0]]
    for s in range(stamps):
        parts.append(
            f'[stamps.s{s}]\nlocation = "eastus2"\ndeployments = [{{ name = "chat", model = "gpt-4o", '
            'version = "2024-11-20", sku = "GlobalStandard", capacity = 1000 }]\n'
        )
    for i in range(tenants):
        stamp = f"s{i % stamps}"
        kind = i % 4
        if kind == 0:
            body = 'isolation = "dedicated"\nlocation = "westeurope"\nresidency = "eu"\n'
            body += 'deployments = [{ name = "chat", sku = "DataZoneStandard", capacity = 2 }]\n'
        elif kind == 1:
            body = f'isolation = "dedicated-deployment"\nstamp = "{stamp}"\n'
            body += 'deployments = [{ name = "chat" }]\n'
        elif kind == 2:
            body = f'isolation = "shared"\nstamp = "{stamp}"\ntpm = 1000\n'
        else:
            body = (
                'isolation = "tenant-provided"\ndirectory = "33333333-3333-3333-3333-333333333333"\n'
                'resource_id = "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg'
                f'/providers/Microsoft.CognitiveServices/accounts/t{i}"\n'
            )
        parts.append(f"[tenants.t{i:05d}]\n{body}")
    return "".join(parts)


@pytest.fixture
def example_text() -> str:
    return (EXAMPLES / "tenants.toml").read_text(encoding="utf-8")
