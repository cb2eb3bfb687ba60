"""The compliance-baseline keys of a dedicated tenant (issue 14): shapes, rules and the editor schema."""

from __future__ import annotations

import pytest

from tenantctl.diagnostics import assert_no_errors
from tenantctl.manifest.schema import manifest_json_schema

from .conftest import check, codes

SUB = "00000000-0000-0000-0000-000000000000"
OTHER = "55555555-5555-5555-5555-555555555555"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/hub/subnets/pe"
ZONE = (
    f"/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/"
    "privatelink.openai.azure.com"
)
WORKSPACE = f"/subscriptions/{SUB}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/logs"
VAULT = f"/subscriptions/{SUB}/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/ctso-keys"
BLOB_ZONE = ZONE.replace("privatelink.openai.azure.com", "privatelink.blob.core.windows.net")
DEDICATED = '[tenants.acme]\nisolation = "dedicated"\n'
FULL = f"""
[provider.key_vault]
id = "{VAULT}"

[tenants.acme]
isolation = "dedicated"
local_auth = true
identity = "none"
max_key_age = "90d"
diagnostics = {{ workspace_id = "{WORKSPACE}", categories = ["Audit", "AllMetrics"] }}

[tenants.acme.network]
public_access = false
default_action = "Deny"
bypass = "AzureServices"
virtual_network_rules = ["{SUBNET}"]
private_endpoints = [
  {{ subnet_id = "{SUBNET}", dns_zone_id = "{ZONE}" }},
  {{ subnet_id = "{SUBNET.replace("/hub/", "/spoke/")}", location = "westeurope" }},
]
"""


def test_a_full_baseline_is_valid_and_read_as_declared() -> None:
    result = check(FULL)
    assert_no_errors(result.diagnostics)
    assert result.manifest is not None
    tenant = result.manifest.tenants["acme"]
    assert (tenant.local_auth, tenant.identity, tenant.max_key_age) == (True, "none", "90d")
    assert tenant.diagnostics is not None
    assert tenant.diagnostics.categories == ("Audit", "AllMetrics")
    assert tenant.network is not None
    assert [pe.location for pe in tenant.network.private_endpoints] == [None, "westeurope"]
    assert result.manifest.provider.key_vault is not None


def test_defaults_are_entra_only_with_a_system_identity() -> None:
    result = check(DEDICATED)
    assert result.manifest is not None
    tenant = result.manifest.tenants["acme"]
    assert (tenant.local_auth, tenant.identity, tenant.diagnostics) == (False, "system-assigned", None)


@pytest.mark.parametrize(
    ("snippet", "code", "path"),
    [
        (
            DEDICATED + 'network = { private_endpoints = [{ subnet_id = "/subscriptions/x/subnets/pe" }] }\n',
            "invalid-value",
            "tenants.acme.network.private_endpoints[0].subnet_id",
        ),
        (
            DEDICATED
            + f'network = {{ private_endpoints = [{{ subnet_id = "{SUBNET}", dns_zone_id = "{SUBNET}" }}] }}\n',
            "invalid-value",
            "tenants.acme.network.private_endpoints[0].dns_zone_id",
        ),
        (
            DEDICATED + f'network = {{ private_endpoints = [{{ subnet_id = "{SUBNET}", location = "mars" }}] }}\n',
            "unknown-region",
            "tenants.acme.network.private_endpoints[0].location",
        ),
        (
            DEDICATED + f'network = {{ virtual_network_rules = ["{ZONE}"] }}\n',
            "invalid-value",
            "tenants.acme.network.virtual_network_rules[0]",
        ),
        (
            DEDICATED + f'diagnostics = {{ workspace_id = "{VAULT}" }}\n',
            "invalid-value",
            "tenants.acme.diagnostics.workspace_id",
        ),
        (
            DEDICATED + f'diagnostics = {{ workspace_id = "{WORKSPACE}", categories = ["Audits"] }}\n',
            "invalid-value",
            "tenants.acme.diagnostics.categories[0]",
        ),
        (f'[provider.key_vault]\nid = "{WORKSPACE}"\n', "invalid-value", "provider.key_vault.id"),
        (DEDICATED + 'max_key_age = "3 months"\n', "invalid-value", "tenants.acme.max_key_age"),
        # keys need a vault to live in
        (DEDICATED + "local_auth = true\n", "missing-key", "tenants.acme.local_auth"),
        # an endpoint is created in the account's (provider) subscription, which must be its VNet's
        (
            DEDICATED + f'network = {{ private_endpoints = [{{ subnet_id = "{SUBNET.replace(SUB, OTHER)}" }}] }}\n',
            "invalid-value",
            "tenants.acme.network.private_endpoints[0].subnet_id",
        ),
        (
            DEDICATED
            + f'network = {{ private_endpoints = [{{ subnet_id = "{SUBNET}" }}, {{ subnet_id = "{SUBNET}" }}] }}\n',
            "duplicate-name",
            "tenants.acme.network.private_endpoints[1].subnet_id",
        ),
        # the account's name is registered only in the cloud's privatelink zone for Azure OpenAI
        (
            DEDICATED
            + f'network = {{ private_endpoints = [{{ subnet_id = "{SUBNET}", '
            + f'dns_zone_id = "{BLOB_ZONE}" }}] }}\n',
            "invalid-value",
            "tenants.acme.network.private_endpoints[0].dns_zone_id",
        ),
        # the baseline keys belong to dedicated tenants
        (
            '[tenants.s1]\nisolation = "shared"\nstamp = "eu1"\ntpm = 1000\nlocal_auth = true\n',
            "isolation-field",
            "tenants.s1.local_auth",
        ),
    ],
)
def test_each_mistake_is_reported_at_the_tenant_and_field(snippet: str, code: str, path: str) -> None:
    found = codes(check(snippet))
    assert (code, path) in found
    assert len([p for _, p in found if p == path]) == 1  # once, not echoed by a second rule


@pytest.mark.parametrize(
    ("snippet", "path"),
    [
        (DEDICATED + 'max_key_age = "30d"\n', "tenants.acme.max_key_age"),
        (
            DEDICATED + f'network = {{ private_endpoints = [{{ subnet_id = "{SUBNET}" }}] }}\n',
            "tenants.acme.network.private_endpoints[0]",
        ),
        (
            DEDICATED + 'network = { default_action = "Allow", allowed_ips = ["203.0.113.0/24"] }\n',
            "tenants.acme.network.default_action",
        ),
    ],
)
def test_settings_without_effect_are_warnings(snippet: str, path: str) -> None:
    result = check(snippet)
    assert ("no-effect", path) in codes(result)
    assert_no_errors(result.diagnostics)


def test_the_schema_describes_the_baseline_keys() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from tenantctl.manifest._toml import tomllib

    from .conftest import BASE

    schema = manifest_json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(tomllib.loads(BASE + FULL))) == []
    tenant = schema["$defs"]["Tenant"]["properties"]
    assert tenant["identity"]["enum"] == ["system-assigned", "none"]
    assert "Trace" in schema["$defs"]["Diagnostics"]["properties"]["categories"]["items"]["enum"]
    bad = tomllib.loads(BASE + FULL.replace(WORKSPACE, VAULT))
    assert list(validator.iter_errors(bad))
