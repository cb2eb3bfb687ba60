"""The regional model catalogue: what ``models.list(location)`` returns and what deployments validate against.

Shape follows specs/examples/2025-09-01/ListLocationModels.json (Model → AccountModel → ModelSku) and
research/arm-api.md §1.4: usage names follow the real-world ``OpenAI.<DeploymentType>.<model>``
convention with lower-case model names (e.g. ``OpenAI.GlobalStandard.gpt-4o``), capacity is
``{minimum, maximum, step, default}``. Default quota limits are the emulator's choice: 1000 (thousands of
TPM) for GlobalStandard/DataZoneStandard, 300 for Standard, 100 PTU for provisioned types.
gpt-35-turbo 0125 retires soon after 2026-11-22 so "retiring soon" warnings can be exercised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REGIONS: dict[str, str] = {
    "swedencentral": "Sweden Central",
    "westeurope": "West Europe",
    "francecentral": "France Central",
    "germanywestcentral": "Germany West Central",
    "northeurope": "North Europe",
    "uksouth": "UK South",
    "eastus": "East US",
    "eastus2": "East US 2",
    "westus": "West US",
    "westus3": "West US 3",
    "japaneast": "Japan East",
    "australiaeast": "Australia East",
    "canadaeast": "Canada East",
}
# Azure OpenAI regions of Azure Government (Learn "Azure OpenAI in Azure Government",
# https://learn.microsoft.com/azure/ai-services/openai/azure-government) and of Azure operated by 21Vianet
# (only chinanorth3 is emulated; which models run there was not researched, so it offers the public ones).
GOV_REGIONS: dict[str, str] = {"usgovarizona": "USGov Arizona", "usgovvirginia": "USGov Virginia"}
CHINA_REGIONS: dict[str, str] = {"chinanorth3": "China North 3"}
_CLOUD_REGIONS: dict[str, dict[str, str]] = {
    "AzureCloud": REGIONS,
    "AzureUSGovernment": GOV_REGIONS,
    "AzureChinaCloud": CHINA_REGIONS,
}
_ALL_REGIONS = {**REGIONS, **GOV_REGIONS, **CHINA_REGIONS}


def regions(cloud: str) -> dict[str, str]:
    """Azure OpenAI regions of ``cloud`` (a custom cloud name is emulated as AzureCloud)."""
    return _CLOUD_REGIONS.get(cloud, REGIONS)


# Data zones exist for the EU and the US only (and "USGov DataZone" across the two Government regions).
_DATA_ZONE_REGIONS = frozenset(
    {
        "swedencentral",
        "westeurope",
        "francecentral",
        "germanywestcentral",
        "northeurope",
        "eastus",
        "eastus2",
        "westus",
        "westus3",
        *GOV_REGIONS,
    }
)

STANDARD_SKUS = frozenset({"Standard", "GlobalStandard", "DataZoneStandard"})
PROVISIONED_SKUS = frozenset({"ProvisionedManaged", "GlobalProvisionedManaged", "DataZoneProvisionedManaged"})
ALL_SKUS = (*sorted(STANDARD_SKUS), *sorted(PROVISIONED_SKUS), "GlobalBatch")

ACCOUNT_COUNT_USAGE = "OpenAI.S0.AccountCount"
ACCOUNT_COUNT_LIMIT = 30  # Azure OpenAI resources per region per subscription (Learn "quotas and limits")
TOTAL_ACCOUNT_USAGE = "AccountCount"
TOTAL_ACCOUNT_LIMIT = 200
MAX_STANDARD_DEPLOYMENTS = 32  # per account (Learn "quotas and limits")

# The per-deployment capacity range (ModelSku.capacity) is NOT the quota: Azure's maxima are far above a
# subscription's default limit (ListLocationModels.json: Standard gpt-35-turbo maximum 1000000; Learn "quotas
# and limits": up to 100,000 PTUs per deployment), so one deployment above the free quota but within the range
# gets InsufficientQuota, and only one beyond the range gets InvalidCapacity.
_CAPACITY: dict[str, dict[str, int]] = {
    "Standard": {"minimum": 1, "maximum": 10000, "step": 1, "default": 10},
    "GlobalStandard": {"minimum": 1, "maximum": 30000, "step": 1, "default": 10},
    "DataZoneStandard": {"minimum": 1, "maximum": 30000, "step": 1, "default": 10},
    "ProvisionedManaged": {"minimum": 50, "maximum": 100000, "step": 50, "default": 50},
    "GlobalProvisionedManaged": {"minimum": 15, "maximum": 100000, "step": 5, "default": 15},
    "DataZoneProvisionedManaged": {"minimum": 15, "maximum": 100000, "step": 5, "default": 15},
    "GlobalBatch": {"minimum": 1, "maximum": 100000, "step": 1, "default": 100},
}
_DEFAULT_LIMIT: dict[str, float] = {
    "Standard": 300,
    "GlobalStandard": 1000,
    "DataZoneStandard": 1000,
    "ProvisionedManaged": 100,
    "GlobalProvisionedManaged": 100,
    "DataZoneProvisionedManaged": 100,
    "GlobalBatch": 10000,
}


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    skus: tuple[str, ...]
    created: str
    default: bool = False
    inference_retirement: str = "2027-10-01T00:00:00Z"
    lifecycle: str = "GenerallyAvailable"
    capabilities: tuple[tuple[str, str], ...] = (("chatCompletion", "true"), ("completion", "true"))
    # Government regions offer only the models listed for them; None = every public and China region.
    gov_regions: frozenset[str] | None = None


_EMBED = (("embeddings", "true"), ("embeddingsMaxInputs", "2048"))
_GPT_SKUS = (*sorted(STANDARD_SKUS), *sorted(PROVISIONED_SKUS), "GlobalBatch")
CATALOGUE: tuple[ModelVersion, ...] = (
    ModelVersion("gpt-4o", "2024-08-06", _GPT_SKUS, "2024-08-06T00:00:00Z"),
    ModelVersion(
        "gpt-4o",
        "2024-11-20",
        (
            "GlobalStandard",
            "DataZoneStandard",
            "ProvisionedManaged",
            "GlobalProvisionedManaged",
            "GlobalBatch",
        ),
        "2024-11-20T00:00:00Z",
        default=True,
    ),
    ModelVersion(
        "gpt-4o-mini",
        "2024-07-18",
        (
            "Standard",
            "GlobalStandard",
            "DataZoneStandard",
            "ProvisionedManaged",
            "GlobalProvisionedManaged",
            "GlobalBatch",
        ),
        "2024-07-18T00:00:00Z",
        default=True,
    ),
    ModelVersion(
        "gpt-4.1",
        "2025-04-14",
        (
            "GlobalStandard",
            "DataZoneStandard",
            "ProvisionedManaged",
            "GlobalProvisionedManaged",
            "DataZoneProvisionedManaged",
            "GlobalBatch",
        ),
        "2025-04-14T00:00:00Z",
        default=True,
        inference_retirement="2028-04-14T00:00:00Z",
    ),
    ModelVersion(
        "gpt-4.1-mini",
        "2025-04-14",
        ("GlobalStandard", "DataZoneStandard", "GlobalProvisionedManaged", "GlobalBatch"),
        "2025-04-14T00:00:00Z",
        default=True,
        inference_retirement="2028-04-14T00:00:00Z",
    ),
    ModelVersion(
        "o3-mini",
        "2025-01-31",
        (
            "GlobalStandard",
            "DataZoneStandard",
            "GlobalProvisionedManaged",
            "DataZoneProvisionedManaged",
            "GlobalBatch",
        ),
        "2025-01-31T00:00:00Z",
        default=True,
    ),
    ModelVersion(
        "text-embedding-3-large",
        "1",
        ("Standard", "GlobalStandard"),
        "2024-01-25T00:00:00Z",
        default=True,
        capabilities=_EMBED,
    ),
    ModelVersion(
        "text-embedding-3-small",
        "1",
        ("Standard", "GlobalStandard"),
        "2024-01-25T00:00:00Z",
        default=True,
        capabilities=_EMBED,
    ),
    # Retiring within 60 days of 2026-11-22 on purpose.
    ModelVersion(
        "gpt-35-turbo",
        "0125",
        ("Standard", "ProvisionedManaged"),
        "2024-01-25T00:00:00Z",
        default=True,
        inference_retirement="2027-01-10T00:00:00Z",
        lifecycle="Deprecating",
    ),
)


# Azure Government: fewer models, Standard (regional) deployments and the USGov DataZone for o3-mini only
# ("Standard deployment model availability" table of https://learn.microsoft.com/azure/ai-services/openai/azure-government).
_BOTH_GOV = frozenset(GOV_REGIONS)
CATALOGUE += (
    ModelVersion("gpt-4o", "2024-05-13", ("Standard",), "2024-05-13T00:00:00Z", default=True, gov_regions=_BOTH_GOV),
    ModelVersion(
        "gpt-4o-mini",
        "2024-07-18",
        ("Standard",),
        "2024-07-18T00:00:00Z",
        default=True,
        gov_regions=frozenset({"usgovarizona"}),
    ),
    ModelVersion("o3-mini", "2025-01-31", ("DataZoneStandard",), "2025-01-31T00:00:00Z", gov_regions=_BOTH_GOV),
    ModelVersion(
        "text-embedding-3-large",
        "1",
        ("Standard",),
        "2024-01-25T00:00:00Z",
        default=True,
        capabilities=_EMBED,
        gov_regions=_BOTH_GOV,
    ),
    ModelVersion(
        "text-embedding-3-small",
        "1",
        ("Standard",),
        "2024-01-25T00:00:00Z",
        default=True,
        capabilities=_EMBED,
        gov_regions=_BOTH_GOV,
    ),
)


def usage_name(sku: str, model: str) -> str:
    """The quota line a deployment of ``model`` under ``sku`` draws from.

    Token (TPM) quota is per model: ``OpenAI.<sku>.<model>``.  Provisioned throughput quota is
    model-independent since August 2024: one PTU line per deployment type and region
    (``OpenAI.ProvisionedManaged``, ``OpenAI.GlobalProvisionedManaged``,
    ``OpenAI.DataZoneProvisionedManaged``) that every model's provisioned deployments share.
    """
    return f"OpenAI.{sku}" if sku in PROVISIONED_SKUS else f"OpenAI.{sku}.{model.lower()}"


_PTU_SCOPE = {
    "ProvisionedManaged": "Regional",
    "GlobalProvisionedManaged": "Global",
    "DataZoneProvisionedManaged": "Data Zone",
}


def usage_display(usage: str) -> str:
    """localizedValue of a usage name, the same string that appears in InsufficientQuota messages."""
    fixed = {
        ACCOUNT_COUNT_USAGE: "Azure OpenAI Resources per Region",
        TOTAL_ACCOUNT_USAGE: "Cognitive Services total account limit",
    }
    parts = usage.split(".", 2)
    if len(parts) == 2 and parts[1] in PROVISIONED_SKUS:
        return f"{_PTU_SCOPE[parts[1]]} Provisioned Managed Throughput Unit"
    if usage in fixed or len(parts) != 3:
        return fixed.get(usage, usage)
    _, sku, model = parts
    if sku in PROVISIONED_SKUS:
        label = "Provisioned Managed Throughput Unit"
    elif sku == "GlobalBatch":
        label = "Enqueued Tokens (thousands)"
    else:
        label = "Tokens Per Minute (thousands)"
    # Regional Standard quotas carry no deployment-type suffix (research/arm-api.md §3.4).
    return f"{label} - {model}" if sku == "Standard" else f"{label} - {model} - {sku}"


def default_limit(usage: str) -> float:
    if usage == ACCOUNT_COUNT_USAGE:
        return ACCOUNT_COUNT_LIMIT
    if usage == TOTAL_ACCOUNT_USAGE:
        return TOTAL_ACCOUNT_LIMIT
    parts = usage.split(".", 2)
    return _DEFAULT_LIMIT.get(parts[1], 0.0) if len(parts) >= 2 else 0.0


def skus_in(location: str, mv: ModelVersion) -> tuple[str, ...]:
    loc = location.lower().replace(" ", "")
    if loc not in _ALL_REGIONS:
        return ()
    if (loc in GOV_REGIONS) != (mv.gov_regions is not None) or (
        mv.gov_regions is not None and loc not in mv.gov_regions
    ):
        return ()
    return tuple(s for s in mv.skus if not s.startswith("DataZone") or loc in _DATA_ZONE_REGIONS)


def find(location: str, name: str, version: str) -> ModelVersion | None:
    for mv in CATALOGUE:
        if mv.name.lower() == name.lower() and mv.version.lower() == version.lower() and skus_in(location, mv):
            return mv
    return None


def capacity_range(sku: str) -> dict[str, int]:
    return dict(_CAPACITY[sku])


def all_usage_names(location: str) -> list[str]:
    names = {usage_name(s, mv.name) for mv in CATALOGUE for s in skus_in(location, mv)}
    return sorted(names)


def retirement_key(name: str, version: str) -> str:
    """Store key of a model version's retirement date set through the control API."""
    return f"{name.lower()}/{version.lower()}"


def model_documents(location: str, retirements: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """``models.list(location)`` items; ``retirements`` (by :func:`retirement_key`) moves retirement dates
    so that tests and demos can put a version "30 days from today" without touching the clock."""
    out: list[dict[str, Any]] = []
    for listed in CATALOGUE:
        skus = skus_in(location, listed)
        if not skus:
            continue
        moved = (retirements or {}).get(retirement_key(listed.name, listed.version))
        mv = dataclasses.replace(listed, inference_retirement=moved) if moved else listed
        sku_docs = [
            {
                "name": s,
                "usageName": usage_name(s, mv.name),
                "deprecationDate": mv.inference_retirement,
                "capacity": capacity_range(s),
                "rateLimits": [
                    {"key": "request", "renewalPeriod": 10, "count": 1},
                    {"key": "token", "renewalPeriod": 60, "count": 1000},
                ],
            }
            for s in skus
        ]
        model: dict[str, Any] = {
            "format": "OpenAI",
            "name": mv.name,
            "version": mv.version,
            "isDefaultVersion": mv.default,
            "maxCapacity": max(capacity_range(s)["maximum"] for s in skus),
            "capabilities": dict(mv.capabilities),
            "deprecation": {"inference": mv.inference_retirement, "deprecationStatus": "Planned"},
            "lifecycleStatus": mv.lifecycle,
            "modelCatalogAssetId": f"azureml://registries/azure-openai/models/{mv.name}/versions/{mv.version}",
            "systemData": {
                "createdBy": "Microsoft",
                "createdByType": "Application",
                "createdAt": mv.created,
                "lastModifiedBy": "Microsoft",
                "lastModifiedByType": "Application",
                "lastModifiedAt": mv.created,
            },
            "skus": sku_docs,
        }
        out.append({"kind": "OpenAI", "skuName": "S0", "description": f"{mv.name} {mv.version}", "model": model})
    return out
