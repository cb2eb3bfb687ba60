"""Manifests for the picture tests: the example fleet, and a small one with hostile display names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantctl.manifest.model import Manifest
from tenantctl.reconcile import load_valid_manifest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "tenants.toml"

# Display names a provider's customers really have: quotes, markup, ampersands, other scripts,
# backslashes (which DOT and Mermaid read as escapes), and an attempt to close the label.
HOSTILE = {
    "quote": 'Bob\'s "Best" Bakery',
    "markup": "<script>alert(1)</script> & <b>bold</b>",
    "unicode": "Ünïcødé 東京株式会社 — Ωmega ✓",
    "escapes": 'back\\slash \\n "] --> x\\',
    "mermaid": "#quot; end %% A[x] -.-> B `tick`",
}

SMALL = """
schema = 1
[provider]
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-pic"
location = "swedencentral"
name_prefix = "pic"
manifest_name = "pic \\"prod\\" <&>"

[stamps.s1]
location = "swedencentral"
max_accounts = 2
max_deployments_per_account = 3
deployments = [{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 100 }]

[tenants.quote]
isolation = "shared"
stamp = "s1"
tpm = 1000

[tenants.markup]
isolation = "dedicated-deployment"
stamp = "s1"
deployments = [{ name = "aa", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 1 },
               { name = "bb", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 1 }]

[tenants.unicode]
isolation = "dedicated-deployment"
stamp = "s1"
deployments = [{ name = "aa", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 2 }]

[tenants.escapes]
isolation = "dedicated"
deployments = [{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "ProvisionedManaged", capacity = 50 }]

[tenants.mermaid]
isolation = "tenant-provided"
directory = "33333333-3333-3333-3333-333333333333"
resource_id = "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg/providers/\
Microsoft.CognitiveServices/accounts/their-aoai"
expect_deployments = ["gpt-4o"]

[provider.app]
client_id = "11111111-1111-1111-1111-111111111111"
home_directory = "22222222-2222-2222-2222-222222222222"
"""


def toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hostile_manifest_text() -> str:
    text = SMALL
    for tenant, name in HOSTILE.items():
        text = text.replace(f"[tenants.{tenant}]\n", f"[tenants.{tenant}]\ndisplay_name = {toml_string(name)}\n")
    return text


@pytest.fixture
def example() -> Manifest:
    return load_valid_manifest(EXAMPLE)[0]


@pytest.fixture
def hostile(tmp_path: Path) -> Manifest:
    path = tmp_path / "tenants.toml"
    path.write_text(hostile_manifest_text(), encoding="utf-8")
    return load_valid_manifest(path)[0]
