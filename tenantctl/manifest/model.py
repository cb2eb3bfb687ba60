"""The manifest's data model: frozen pydantic models mirroring ``tenants.toml`` key for key.

Models check the *shape* of each value (types, GUIDs, IP ranges, known regions); rules that
relate one part of the manifest to another (stamp references, budgets, residency, names) live in
:mod:`tenantctl.manifest.semantics` so that every problem can be reported with its own key path.
Validators raise ``PydanticCustomError`` whose *type* is our stable diagnostic code.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator
from pydantic_core import PydanticCustomError

from tenantctl.manifest.regions import REGIONS

__all__ = [
    "DEPLOYMENT_SKUS",
    "DIAGNOSTIC_CATEGORIES",
    "LOCK_CONNECTION_STRING_ENV",
    "PROVISIONED_SKUS",
    "VERSION_UPGRADE_OPTIONS",
    "AppSettings",
    "ContentFilter",
    "Defaults",
    "DeploymentSpec",
    "Diagnostics",
    "Gateway",
    "Isolation",
    "KeyVaultSettings",
    "LockSettings",
    "Manifest",
    "NetworkRules",
    "Pricing",
    "PrivateEndpointSpec",
    "Provider",
    "ResolvedDeployment",
    "Stamp",
    "Tenant",
    "capacity_label",
    "capacity_unit",
]

DEPLOYMENT_SKUS: tuple[str, ...] = (
    "Standard",
    "GlobalStandard",
    "DataZoneStandard",
    "ProvisionedManaged",
    "GlobalProvisionedManaged",
    "DataZoneProvisionedManaged",
    "GlobalBatch",
    "DataZoneBatch",
)
# Capacity of these is in PTUs; of every other SKU in units of 1,000 tokens per minute.
PROVISIONED_SKUS: frozenset[str] = frozenset(
    {"ProvisionedManaged", "GlobalProvisionedManaged", "DataZoneProvisionedManaged"}
)


def capacity_unit(sku: str) -> str:
    """Azure's unit of ``sku.capacity`` for a deployment SKU: ``PTU``, or ``K TPM`` (1,000 tokens/min)."""
    return "PTU" if sku in PROVISIONED_SKUS else "K TPM"


def capacity_label(sku: str, capacity: int) -> str:
    """``50K TPM`` or ``50 PTU``: a capacity as people read it."""
    return f"{capacity:,} PTU" if sku in PROVISIONED_SKUS else f"{capacity:,}K TPM"


VERSION_UPGRADE_OPTIONS: tuple[str, ...] = (
    "OnceNewDefaultVersionAvailable",
    "OnceCurrentVersionExpired",
    "NoAutoUpgrade",
)

_GUID_RE = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_PREFIX_RE = re.compile(r"[a-z0-9]{2,12}")
_RESOURCE_ID_RE = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.CognitiveServices/accounts/(?P<name>[^/]+)",
    re.IGNORECASE,
)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _free_text(value: str) -> str:
    # NUL and other control characters are legal in TOML strings ("\u0000") but end up in Azure tags,
    # terminals and JSON consumers, where they truncate, garble or hide text.
    found = _CONTROL.search(value)
    if found:
        raise PydanticCustomError(
            "invalid-value",
            "{value} contains the control character U+{code}; use printable text",
            {"value": repr(value), "code": f"{ord(found.group()):04X}"},
        )
    return value


def _guid(value: str) -> str:
    if not _GUID_RE.fullmatch(value):
        raise PydanticCustomError(
            "invalid-value",
            "{value} is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
            {"value": repr(value)},
        )
    return value.lower()


def _region(value: str) -> str:
    if value not in REGIONS:
        close = difflib.get_close_matches(value.lower(), REGIONS, n=1)
        hint = f" — did you mean {close[0]!r}?" if close else ""
        raise PydanticCustomError(
            "unknown-region",
            "unknown Azure OpenAI region {value}{hint}",
            {"value": repr(value), "hint": hint},
        )
    return value


def _cloud(value: str) -> str:
    from tenantctl.clouds import KNOWN_CLOUDS

    for name in KNOWN_CLOUDS:
        if name.lower() == value.lower():
            return name
    raise PydanticCustomError(
        "unknown-cloud",
        "unknown Azure cloud {value}; known clouds: {known}",
        {"value": repr(value), "known": ", ".join(KNOWN_CLOUDS)},
    )


def _prefix(value: str) -> str:
    if not _PREFIX_RE.fullmatch(value):
        raise PydanticCustomError(
            "invalid-name",
            "name_prefix {value} must be 2–12 lower-case letters or digits (it starts every account name)",
            {"value": repr(value)},
        )
    return value


def _ip_rule(value: str) -> str:
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise PydanticCustomError(
            "invalid-value",
            "{value} is not an IPv4 address or CIDR range such as 203.0.113.0/24",
            {"value": repr(value)},
        ) from None
    return value


def _resource_id(value: str) -> str:
    match = _RESOURCE_ID_RE.fullmatch(value)
    if match is None or not _GUID_RE.fullmatch(match["sub"]):
        raise PydanticCustomError(
            "invalid-value",
            "resource_id must look like /subscriptions/<guid>/resourceGroups/<rg>/providers/"
            "Microsoft.CognitiveServices/accounts/<name>",
        )
    return value


def _arm_id(kind: str, pattern: str) -> AfterValidator:
    """A validator for the ARM id of one resource type (ids are case-insensitive, GUID subscription)."""
    regex = re.compile(r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/[^/]+/providers/" + pattern, re.IGNORECASE)
    expected = "/subscriptions/<guid>/resourceGroups/<rg>/providers/" + pattern.replace("\\", "").replace(
        "[^/]+", "<name>"
    )

    def check(value: str) -> str:
        match = regex.fullmatch(value)
        if match is None or not _GUID_RE.fullmatch(match["sub"]):
            raise PydanticCustomError(
                "invalid-value",
                "{value} is not a {kind} id; expected {expected}",
                {"value": repr(value), "kind": kind, "expected": expected},
            )
        return value

    return AfterValidator(check)


SubnetId = Annotated[StrictStr, _arm_id("subnet", r"Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+")]
PrivateDnsZoneId = Annotated[StrictStr, _arm_id("private DNS zone", r"Microsoft\.Network/privateDnsZones/[^/]+")]
WorkspaceId = Annotated[
    StrictStr, _arm_id("Log Analytics workspace", r"Microsoft\.OperationalInsights/workspaces/[^/]+")
]
VaultId = Annotated[StrictStr, _arm_id("Key Vault", r"Microsoft\.KeyVault/vaults/[^/]+")]
# Log and metric categories of Microsoft.CognitiveServices/accounts (Azure Monitor "Supported logs").
DIAGNOSTIC_CATEGORIES: tuple[str, ...] = ("Audit", "AzureOpenAIRequestUsage", "RequestResponse", "Trace", "AllMetrics")
_DURATION_RE = re.compile(r"[1-9][0-9]{0,3}d")


def _category(value: str) -> str:
    if value not in DIAGNOSTIC_CATEGORIES:
        raise PydanticCustomError(
            "invalid-value",
            "{value} is not a diagnostic category of Azure OpenAI accounts{hint}",
            {"value": repr(value), "hint": f" (one of {', '.join(DIAGNOSTIC_CATEGORIES)})"},
        )
    return value


def _duration(value: str) -> str:
    if not _DURATION_RE.fullmatch(value):
        raise PydanticCustomError(
            "invalid-value", '{value} is not a number of days such as "90d"', {"value": repr(value)}
        )
    return value


def _overcommit(value: float) -> float:
    if not (math.isfinite(value) and 1.0 <= value <= 10.0):
        raise PydanticCustomError("invalid-value", "overcommit must be between 1.0 and 10.0")
    return value


Guid = Annotated[StrictStr, AfterValidator(_guid)]
RegionName = Annotated[StrictStr, AfterValidator(_region)]
Name = StrictStr
Names = tuple[StrictStr, ...]
FreeText = Annotated[StrictStr, AfterValidator(_free_text)]
Tags = dict[FreeText, FreeText]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Isolation(str, Enum):
    """How a tenant is isolated; decides which Azure resources tenantctl owns for it."""

    DEDICATED = "dedicated"
    DEDICATED_DEPLOYMENT = "dedicated-deployment"
    SHARED = "shared"
    TENANT_PROVIDED = "tenant-provided"


class DeploymentSpec(_Model):
    """A model deployment; in tenants, missing fields come from ``[defaults]``."""

    name: Name = Field(description="Deployment name (2–64: letters, digits, '-', '_', '.').", examples=["chat"])
    model: StrictStr | None = Field(None, description="Model name.", examples=["gpt-4o"])
    version: StrictStr | None = Field(None, description="Model version.", examples=["2024-11-20"])
    sku: StrictStr | None = Field(None, description="Deployment type (SKU).", examples=["GlobalStandard"])
    capacity: StrictInt | None = Field(
        None, description="Capacity: PTUs for provisioned SKUs, else units of 1,000 TPM.", examples=[10]
    )
    version_upgrade_option: StrictStr | None = Field(
        None, description="OnceNewDefaultVersionAvailable | OnceCurrentVersionExpired | NoAutoUpgrade."
    )
    spillover: StrictStr | None = Field(
        None,
        description="Provisioned tenant deployments: the name of the tenant's standard deployment that takes the "
        "calls its PTUs cannot (the gateway tries this one first, then the spill-over).",
    )


@dataclass(frozen=True)
class ResolvedDeployment:
    """A deployment with every field filled in from ``[defaults]``: what planning creates."""

    name: str
    model: str
    version: str
    sku: str
    capacity: int
    version_upgrade_option: str
    format: str = "OpenAI"


class ContentFilter(_Model):
    """A tenant's own RAI policy, derived from a base policy, with an optional blocklist."""

    base: StrictStr = Field("Microsoft.DefaultV2", description="Base RAI policy.")
    blocklist: Names = Field((), description="Terms blocked in prompts and completions.")
    severity: Literal["Low", "Medium", "High"] = Field("Medium", description="Severity threshold.")


class PrivateEndpointSpec(_Model):
    """A private endpoint into a provider subnet, with the account's name in a private DNS zone."""

    subnet_id: SubnetId = Field(description="ARM id of the subnet the endpoint's address comes from.")
    dns_zone_id: PrivateDnsZoneId | None = Field(
        None,
        description="ARM id of the cloud's privatelink.openai.azure.com (.us, .cn) private DNS zone to register in.",
    )
    location: RegionName | None = Field(
        None, description="Region of the endpoint: its virtual network's region (default: the tenant's)."
    )


class NetworkRules(_Model):
    """Network access to a dedicated account."""

    public_access: StrictBool = Field(True, description="Whether the public endpoint is reachable.")
    allowed_ips: tuple[Annotated[StrictStr, AfterValidator(_ip_rule)], ...] = Field(
        (),
        description="IPv4 addresses or CIDR ranges allowed through the firewall.",
        examples=[["203.0.113.0/24"]],
    )
    default_action: Literal["Allow", "Deny"] | None = Field(
        None, description="Firewall default; unset: Deny when any rule is listed or public_access = false."
    )
    virtual_network_rules: tuple[SubnetId, ...] = Field(
        (), description="Subnet ids (with the Microsoft.CognitiveServices service endpoint) let through."
    )
    bypass: Literal["AzureServices", "None"] | None = Field(
        None, description="Let trusted Azure services through the firewall (AzureServices) or not (None)."
    )
    private_endpoints: tuple[PrivateEndpointSpec, ...] = Field(
        (), description="Private endpoints (one per region / virtual network)."
    )


class Diagnostics(_Model):
    """Diagnostic settings sending an account's logs and metrics to a Log Analytics workspace."""

    workspace_id: WorkspaceId = Field(description="ARM id of the Log Analytics workspace.")
    categories: tuple[Annotated[StrictStr, AfterValidator(_category)], ...] = Field(
        ("Audit", "RequestResponse", "Trace", "AllMetrics"),
        description="Log categories and AllMetrics to send.",
    )


class KeyVaultSettings(_Model):
    """The provider's Key Vault that holds account keys of tenants with local_auth = true."""

    id: VaultId = Field(description="ARM id of the vault.")


class AppSettings(_Model):
    """The provider's multi-tenant Entra app; its credentials come from the environment, never from here."""

    client_id: Guid = Field(description="Application (client) id.")
    home_directory: Guid = Field(description="Entra tenant id where the app is registered.")
    redirect_uri: StrictStr = Field("https://localhost/tenantctl/consent", description="Admin-consent redirect URI.")


# The blob lock's storage connection string is a secret (it carries the account key), so it never sits
# in the manifest: it comes from this environment variable, and wins over account_url when set.
LOCK_CONNECTION_STRING_ENV = "TENANTCTL_LOCK_CONNECTION_STRING"


class LockSettings(_Model):
    """Where apply takes its lock against parallel runs."""

    backend: Literal["file", "blob"] = Field(
        "file", description="file: a lock file beside the manifest (one machine); blob: an Azure Blob lease."
    )
    path: StrictStr | None = Field(None, description="The lock file, relative to the manifest (backend = file).")
    account_url: StrictStr | None = Field(
        None,
        description="Blob endpoint, https://<account>.blob.core.windows.net (az login / managed identity); "
        "http only for a local Azurite on localhost. The connection string in env "
        f"{LOCK_CONNECTION_STRING_ENV}, when set, is used instead.",
    )
    container: StrictStr = Field("tenantctl-locks", description="Container of the lock blob (created if missing).")
    blob: StrictStr | None = Field(None, description="Lock blob name; default tenantctl/<manifest_name>.lock.")


class PoolSubscription(_Model):
    """One subscription of the provider's pool: dedicated tenants are spread over the pool's members."""

    subscription_id: Guid = Field(description="The subscription.", examples=["00000000-0000-0000-0000-000000000001"])
    resource_group: StrictStr | None = Field(None, description="Group of its accounts (default: the provider's).")
    regions: tuple[RegionName, ...] = Field((), description="Regions it may host accounts in (empty: any).")
    max_accounts: StrictInt | None = Field(
        None, ge=1, le=30, description="Most accounts tenantctl places in it per region (Azure allows 30)."
    )
    weight: StrictInt = Field(1, ge=1, le=1000, description="Relative share of new tenants it takes.")


class Provider(_Model):
    """The SaaS provider's Azure home: where dedicated accounts and stamps live by default."""

    subscription_id: Guid = Field(
        description="Provider subscription.", examples=["00000000-0000-0000-0000-000000000000"]
    )
    resource_group: StrictStr = Field(description="Resource group for managed accounts.", examples=["rg-tenantctl"])
    location: RegionName = Field(description="Default Azure region.", examples=["swedencentral"])
    cloud: Annotated[StrictStr, AfterValidator(_cloud)] = Field(
        "AzureCloud",
        description="Azure cloud of every provider-side account: AzureCloud, AzureUSGovernment or AzureChinaCloud "
        "(AZURE_RESOURCE_MANAGER_ENDPOINT in the environment points tenantctl at a custom one).",
        examples=["AzureUSGovernment"],
    )
    name_prefix: Annotated[StrictStr, AfterValidator(_prefix)] = Field(
        description="Prefix of every account name (2–12 lower-case letters/digits).", examples=["ctso"]
    )
    manifest_name: FreeText = Field("default", description="Value of the tenantctl-manifest ownership tag.")
    tags: Tags = Field(default_factory=dict, description="Tags added to every managed resource.")
    app: AppSettings | None = None
    lock: LockSettings | None = None
    purge_deleted: StrictBool = Field(False, description="Purge soft-deleted accounts after deleting them.")
    key_vault: KeyVaultSettings | None = None
    pool: tuple[PoolSubscription, ...] = Field(
        (),
        description="Subscriptions dedicated tenants are placed across (empty: the provider's subscription alone).",
    )


class Defaults(_Model):
    """Defaults for tenant deployments."""

    deployments: tuple[DeploymentSpec, ...] = ()
    version_upgrade_option: StrictStr = "OnceCurrentVersionExpired"
    content_filter: ContentFilter | None = None


class Stamp(_Model):
    """A named group of shared accounts in one region that hosts shared and dedicated-deployment tenants."""

    location: RegionName
    subscription_id: Guid | None = Field(
        None,
        description="Defaults to the provider's subscription; with [[provider.pool]], pins the stamp to that "
        "member (default: the pool places it).",
    )
    resource_group: StrictStr | None = Field(
        None, description="Defaults to the provider's resource group (a pool member's own, when it has one)."
    )
    deployments: tuple[DeploymentSpec, ...] = Field((), description="Shared deployments, fully specified.")
    overcommit: Annotated[float, AfterValidator(_overcommit)] = Field(
        1.0, description="Shared budgets may sum to capacity × overcommit (1.0–10.0)."
    )
    max_accounts: StrictInt = Field(4, ge=1, le=30, description="Most accounts the stamp may grow to.")
    max_deployments_per_account: StrictInt = Field(32, ge=1, le=32, description="Azure allows 32.")
    diagnostics: Diagnostics | None = Field(None, description="Diagnostic settings on every stamp account.")


class Tenant(_Model):
    """One customer of the provider; which fields apply depends on ``isolation``."""

    isolation: Isolation
    display_name: FreeText | None = None
    location: RegionName | None = Field(None, description="dedicated: region (default provider.location).")
    stamp: StrictStr | None = Field(None, description="dedicated-deployment, shared: the stamp.")
    protected: StrictBool = Field(False, description="Never deleted, even with --prune.")
    residency: StrictStr | None = Field(None, description="Geography data must stay in.", examples=["eu"])
    deployments: tuple[DeploymentSpec, ...] = ()
    content_filter: ContentFilter | None = None
    network: NetworkRules | None = None
    local_auth: StrictBool = Field(
        False, description="dedicated: allow key authentication (keys kept in [provider.key_vault])."
    )
    identity: Literal["system-assigned", "none"] = Field(
        "system-assigned", description="dedicated: the account's managed identity."
    )
    diagnostics: Diagnostics | None = Field(None, description="dedicated: diagnostic settings on the account.")
    max_key_age: Annotated[StrictStr, AfterValidator(_duration)] | None = Field(
        None, description="dedicated, local_auth = true: rotate keys older than this.", examples=["90d"]
    )
    tpm: StrictInt | None = Field(None, description="shared: tokens-per-minute budget.", examples=[20000])
    shared_deployments: Names = Field((), description="shared: stamp deployments the budget covers.")
    stamp_account: StrictInt | None = Field(
        None, ge=1, le=30, description="shared: the stamp account (from 1) it lives on; `tenant add` pins it."
    )
    directory: Guid | None = Field(None, description="tenant-provided: the tenant's Entra tenant id.")
    resource_id: Annotated[StrictStr, AfterValidator(_resource_id)] | None = Field(
        None, description="tenant-provided: ARM id of the tenant's Azure OpenAI account."
    )
    expect_deployments: Names = Field((), description="tenant-provided: deployments that must exist.")
    cloud: StrictStr | None = Field(
        None,
        description="tenant-provided: Azure cloud of the tenant's directory and account; it must be the "
        "provider's (the multi-tenant app signs in there).",
        examples=["AzureUSGovernment"],
    )
    endpoint: StrictStr | None = Field(
        None,
        description="tenant-provided: the account's endpoint, when it is not https://{account name}.{cloud's "
        "openai suffix}/ (a custom subdomain); it must be in the provider's cloud.",
        examples=["https://trey-aoai.openai.azure.com/"],
    )
    tags: Tags = Field(default_factory=dict)
    upgrade_policy: Literal["follow-default", "pinned", "manual"] = Field(
        "follow-default",
        description="dedicated, dedicated-deployment: how `tenantctl upgrade` waves treat the tenant "
        "(follow-default: moved in its wave; manual: only when named in --wave; pinned: never).",
    )
    subscription_id: Guid | None = Field(
        None, description="dedicated: pin the tenant's account to this pool subscription."
    )


class Gateway(_Model):
    """The API Management gateway in front of shared tenants, and where its token metrics land."""

    workspace_id: Guid = Field(
        description="Log Analytics workspace (customer) id behind the gateway's Application Insights: "
        "where `usage` reads the azure-openai-emit-token-metric metrics."
    )
    tenant_dimension: FreeText = Field(
        "Tenant", description="Name of the metric dimension that carries the tenant id (export routing emits it)."
    )


Price = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class TokenPrice(_Model):
    """Price of tokens of one model (on one SKU, or any SKU when ``sku`` is left out)."""

    model: StrictStr = Field(description="Model name, as in deployments.", examples=["gpt-4o"])
    sku: StrictStr | None = Field(None, description="Deployment SKU; unset: every pay-as-you-go SKU of the model.")
    input_per_million: Price = Field(description="Price of 1,000,000 prompt (input) tokens.", examples=[2.5])
    output_per_million: Price = Field(description="Price of 1,000,000 completion (output) tokens.", examples=[10.0])


class PtuPrice(_Model):
    """Hourly price of one PTU of a provisioned SKU (charged whether it is used or not)."""

    sku: StrictStr = Field(description="Provisioned SKU.", examples=["ProvisionedManaged"])
    model: StrictStr | None = Field(None, description="Model name; unset: every model on this SKU.")
    per_hour: Price = Field(description="Price of one PTU for one hour.", examples=[1.0])


class Pricing(_Model):
    """The provider's price table for chargeback (`tenantctl usage`): per model, SKU and token direction."""

    currency: StrictStr = Field("USD", description="Currency of every price (a label only).")
    tokens: tuple[TokenPrice, ...] = Field((), description="Token prices per model (and SKU).")
    ptu: tuple[PtuPrice, ...] = Field((), description="PTU-hour prices per provisioned SKU (and model).")

    @model_validator(mode="after")
    def _one_price_each(self) -> Pricing:
        # Two prices for the same line would make the bill depend on the order of the table.
        for kind, keys in (
            ("tokens", [(p.model, p.sku) for p in self.tokens]),
            ("ptu", [(p.model, p.sku) for p in self.ptu]),
        ):
            seen: set[tuple[str | None, str | None]] = set()
            for model, sku in keys:
                if (model, sku) in seen:
                    raise PydanticCustomError(
                        "duplicate-price",
                        "pricing.{kind} lists model {model} with sku {sku} twice; keep one price",
                        {"kind": kind, "model": repr(model or "*"), "sku": repr(sku or "*")},
                    )
                seen.add((model, sku))
        return self


class Manifest(_Model):
    """The whole ``tenants.toml``."""

    schema_version: Literal[1] = Field(alias="schema", description="Manifest schema version (1).")
    provider: Provider
    defaults: Defaults = Defaults()
    stamps: dict[StrictStr, Stamp] = Field(default_factory=dict)
    tenants: dict[StrictStr, Tenant] = Field(default_factory=dict)
    gateway: Gateway | None = Field(None, description="The gateway of shared tenants (usage reads its metrics).")
    pricing: Pricing | None = Field(None, description="Price table for chargeback (tenantctl usage).")

    @cached_property
    def stamp_tenants(self) -> dict[str, tuple[str, ...]]:
        """Each stamp's tenants (shared and dedicated-deployment), in manifest order; built once (frozen model).

        Budget, account-limit, placement and model checks go stamp by stamp: scanning every tenant for
        each stamp made them quadratic (10,000 tenants on 50 stamps: ~2 s of a plan's CPU)."""
        found: dict[str, list[str]] = {}
        for tenant_id, tenant in self.tenants.items():
            if tenant.stamp is not None:
                found.setdefault(tenant.stamp, []).append(tenant_id)
        return {stamp: tuple(ids) for stamp, ids in found.items()}

    def stamp_subscription(self, stamp_id: str) -> str:
        """The subscription a stamp's accounts live in."""
        return self.stamps[stamp_id].subscription_id or self.provider.subscription_id

    def subscription_pool(self) -> tuple[PoolSubscription, ...]:
        """The subscriptions dedicated tenants may live in: ``provider.pool``, or the provider's own alone."""
        if self.provider.pool:
            return self.provider.pool
        return (PoolSubscription(subscription_id=self.provider.subscription_id),)

    def pool_resource_group(self, member: PoolSubscription) -> str:
        """The resource group a pool subscription's accounts live in."""
        return member.resource_group or self.provider.resource_group

    def stamp_resource_group(self, stamp_id: str) -> str:
        """The resource group a stamp's accounts live in."""
        return self.stamps[stamp_id].resource_group or self.provider.resource_group

    def tenant_location(self, tenant_id: str) -> str:
        """Where a tenant's data is served: own location, the stamp's, or "" (tenant-provided)."""
        tenant = self.tenants[tenant_id]
        if tenant.isolation is Isolation.DEDICATED:
            return tenant.location or self.provider.location
        if tenant.stamp is not None and tenant.stamp in self.stamps:
            return self.stamps[tenant.stamp].location
        return tenant.location or ""

    def default_for(self, name: str) -> DeploymentSpec | None:
        """The ``[defaults]`` deployment that fills in a tenant deployment called ``name``."""
        for spec in self.defaults.deployments:
            if spec.name == name:
                return spec
        return self.defaults.deployments[0] if self.defaults.deployments else None

    def resolve(self, spec: DeploymentSpec, *, use_defaults: bool = True) -> ResolvedDeployment | None:
        """``spec`` with missing fields taken from defaults, or ``None`` if some are still missing."""
        base = self.default_for(spec.name) if use_defaults else None
        model = spec.model or (base.model if base else None)
        version = spec.version or (base.version if base else None)
        sku = spec.sku or (base.sku if base else None)
        capacity = spec.capacity if spec.capacity is not None else (base.capacity if base else None)
        upgrade = (
            spec.version_upgrade_option
            or (base.version_upgrade_option if base else None)
            or self.defaults.version_upgrade_option
        )
        if model is None or version is None or sku is None or capacity is None:
            return None
        return ResolvedDeployment(spec.name, model, version, sku, capacity, upgrade)

    def tenant_deployment_specs(self, tenant_id: str) -> tuple[DeploymentSpec, ...]:
        """The deployments a tenant owns, before defaults are applied."""
        tenant = self.tenants[tenant_id]
        if tenant.isolation is Isolation.DEDICATED:
            return tenant.deployments or self.defaults.deployments
        if tenant.isolation is Isolation.DEDICATED_DEPLOYMENT:
            return tenant.deployments
        return ()

    def resolved_deployments(self, tenant_id: str) -> tuple[ResolvedDeployment, ...]:
        """The deployments a tenant *owns* (dedicated, dedicated-deployment), fully specified.

        ``shared`` and ``tenant-provided`` tenants own none and get ``()``; stamp deployments are
        resolved with :meth:`stamp_deployments`.  Raises ``KeyError`` for an unknown tenant and
        ``ValueError`` for a deployment that cannot be completed (never for a validated manifest).
        """
        resolved = []
        for spec in self.tenant_deployment_specs(tenant_id):
            deployment = self.resolve(spec)
            if deployment is None:
                raise ValueError(f"tenant {tenant_id!r}: deployment {spec.name!r} is incomplete")
            resolved.append(deployment)
        return tuple(resolved)

    def stamp_deployments(self, stamp_id: str) -> tuple[ResolvedDeployment, ...]:
        """A stamp's shared deployments (they do not take defaults)."""
        resolved = []
        for spec in self.stamps[stamp_id].deployments:
            deployment = self.resolve(spec, use_defaults=False)
            if deployment is None:
                raise ValueError(f"stamp {stamp_id!r}: deployment {spec.name!r} is incomplete")
            resolved.append(deployment)
        return tuple(resolved)
