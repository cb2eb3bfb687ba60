"""Routing for the compliance baseline (issue 14, pure): entra routes carry the cloud's audience, key routes
name the Key Vault secret (an APIM named value), never a key."""

from __future__ import annotations

from tenantctl.export.apim import routing_to_apim
from tenantctl.export.routing import routing_for, routing_to_json
from tests.planning.conftest import LOC, SUB, manifest_from

VAULT = f"/subscriptions/{SUB}/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-tenants"


def _manifest(cloud: str = "AzureCloud", region: str = LOC) -> str:
    return f"""\
schema = 1

[provider]
subscription_id = "{SUB}"
resource_group = "rg-tenants"
location = "{region}"
name_prefix = "ctso"
cloud = "{cloud}"

[provider.key_vault]
id = "{VAULT}"

[defaults]
deployments = [
  {{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 10 }},
]

[tenants.keyed]
isolation = "dedicated"
local_auth = true

[tenants.entra]
isolation = "dedicated"
"""


def test_a_key_route_names_the_vault_secret_and_an_entra_route_the_audience() -> None:
    table = routing_for(manifest_from(_manifest()))
    tenants = routing_to_json(table)["tenants"]
    assert tenants["keyed"]["auth"] == {
        "mode": "key",
        "header": "api-key",
        "vault_id": VAULT,
        "secret": "keyed-openai-key",
        "named_value": "keyed-openai-key",
    }
    assert tenants["entra"]["auth"]["audience"] == "https://cognitiveservices.azure.com"
    fragments = routing_to_apim(table)
    assert "{{keyed-openai-key}}" in fragments["keyed"]
    assert '<set-header name="api-key" exists-action="override">' in fragments["keyed"]
    assert "authentication-managed-identity" not in fragments["keyed"]
    assert '<authentication-managed-identity resource="https://cognitiveservices.azure.com" />' in fragments["entra"]


def test_a_sovereign_cloud_route_asks_for_that_clouds_audience() -> None:
    table = routing_for(manifest_from(_manifest("AzureUSGovernment", "usgovarizona")))
    auth = routing_to_json(table)["tenants"]["entra"]["auth"]
    assert (auth["scope"], auth["audience"]) == (
        "https://cognitiveservices.azure.us/.default",
        "https://cognitiveservices.azure.us",
    )
    assert 'resource="https://cognitiveservices.azure.us"' in routing_to_apim(table)["entra"]
