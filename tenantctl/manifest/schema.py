"""JSON Schema (draft 2020-12) of ``tenants.toml`` for editors (Taplo / Even Better TOML).

Generated from the pydantic models, then shaped for TOML: TOML has no ``null``, so optional
fields lose their ``null`` branch and ``null`` defaults; closed vocabularies (SKUs, regions,
residencies, upgrade options) become ``enum`` so editors can complete them; GUIDs and ids get
patterns.  Semantic rules (budgets, residency against region) are checked by ``tenantctl
validate``, not by the schema.
"""

from __future__ import annotations

from typing import Any

from tenantctl.manifest.model import DEPLOYMENT_SKUS, DIAGNOSTIC_CATEGORIES, VERSION_UPGRADE_OPTIONS, Manifest
from tenantctl.manifest.regions import REGIONS, RESIDENCIES

__all__ = ["SCHEMA_ID", "manifest_json_schema"]

SCHEMA_ID = "https://tenantctl.dev/schemas/manifest-v1.json"
_GUID = {
    "type": "string",
    "pattern": "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$",
    "format": "uuid",
}
_ID_PATTERN = "^[a-z]([a-z0-9]|-(?=[a-z0-9]))*$"
_REGION = {"type": "string", "enum": sorted(REGIONS)}


def _arm_id(provider_path: str) -> dict[str, Any]:
    return {"pattern": "^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/" + provider_path + "$"}


_SUBNET_ID = _arm_id("Microsoft\\.Network/virtualNetworks/[^/]+/subnets/[^/]+")
# (definition, property) → extra schema keywords
_EXTRA: dict[tuple[str, str], dict[str, Any]] = {
    ("DeploymentSpec", "sku"): {"enum": list(DEPLOYMENT_SKUS)},
    ("DeploymentSpec", "capacity"): {"minimum": 1},
    ("DeploymentSpec", "name"): {"pattern": "^[a-zA-Z0-9_.-]{2,64}$"},
    ("DeploymentSpec", "version_upgrade_option"): {"enum": list(VERSION_UPGRADE_OPTIONS)},
    ("Defaults", "version_upgrade_option"): {"enum": list(VERSION_UPGRADE_OPTIONS)},
    ("Provider", "subscription_id"): _GUID,
    ("Provider", "location"): _REGION,
    ("Provider", "name_prefix"): {"pattern": "^[a-z0-9]{2,12}$"},
    ("Gateway", "workspace_id"): _GUID,
    ("AppSettings", "client_id"): _GUID,
    ("AppSettings", "home_directory"): _GUID,
    ("Stamp", "subscription_id"): _GUID,
    ("PoolSubscription", "subscription_id"): _GUID,
    ("PoolSubscription", "regions"): {"items": _REGION},
    ("Tenant", "subscription_id"): _GUID,
    ("Stamp", "location"): _REGION,
    ("Tenant", "location"): _REGION,
    ("Tenant", "directory"): _GUID,
    ("Tenant", "residency"): {"enum": sorted(RESIDENCIES)},
    ("Tenant", "tpm"): {"minimum": 1},
    ("Tenant", "max_key_age"): {"pattern": "^[1-9][0-9]{0,3}d$"},
    ("NetworkRules", "virtual_network_rules"): {"items": {"type": "string", **_SUBNET_ID}},
    ("PrivateEndpointSpec", "subnet_id"): _SUBNET_ID,
    ("PrivateEndpointSpec", "dns_zone_id"): _arm_id("Microsoft\\.Network/privateDnsZones/[^/]+"),
    ("PrivateEndpointSpec", "location"): _REGION,
    ("Diagnostics", "workspace_id"): _arm_id("Microsoft\\.OperationalInsights/workspaces/[^/]+"),
    ("Diagnostics", "categories"): {"items": {"type": "string", "enum": list(DIAGNOSTIC_CATEGORIES)}},
    ("KeyVaultSettings", "id"): _arm_id("Microsoft\\.KeyVault/vaults/[^/]+"),
    ("Tenant", "resource_id"): {
        "pattern": "^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.CognitiveServices/accounts/[^/]+$"
    },
}


def _drop_null(prop: dict[str, Any]) -> dict[str, Any]:
    branches = prop.get("anyOf")
    if isinstance(branches, list):
        rest = [b for b in branches if b != {"type": "null"}]
        if len(rest) < len(branches):
            prop = {k: v for k, v in prop.items() if k != "anyOf"}
            prop.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
    if "default" in prop and prop["default"] is None:
        prop = {k: v for k, v in prop.items() if k != "default"}
    return prop


def manifest_json_schema() -> dict[str, Any]:
    """The manifest's JSON Schema as a plain dict (``json.dumps`` it)."""
    schema = Manifest.model_json_schema(by_alias=True, mode="validation")
    for name, definition in schema.get("$defs", {}).items():
        for key, generated in list(definition.get("properties", {}).items()):
            prop = _drop_null(generated)
            prop.update(_EXTRA.get((name, key), {}))
            definition["properties"][key] = prop
    schema["properties"]["defaults"].pop("default", None)  # a TOML table, not a value to insert
    properties = schema["properties"]
    for key, generated in list(properties.items()):  # optional top-level tables ([gateway], [pricing])
        properties[key] = _drop_null(generated)
    properties["stamps"]["propertyNames"] = {"pattern": _ID_PATTERN, "minLength": 2, "maxLength": 12}
    properties["tenants"]["propertyNames"] = {"pattern": _ID_PATTERN, "minLength": 2, "maxLength": 24}
    schema["properties"]["schema"]["description"] = "Manifest schema version; always 1."
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "tenantctl manifest (tenants.toml)",
        "description": "Declared tenants of a SaaS provider on Azure OpenAI, reconciled by tenantctl.",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }
