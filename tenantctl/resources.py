"""Azure resource records shared by the desired state, the observed state, the plan and the cloud port.

The same record describes a resource as tenantctl wants it (built by :mod:`tenantctl.desired`) and as
Azure has it (built by the cloud adapter), so a diff is a field-by-field comparison of two records.
Fields only Azure knows (endpoint, provisioning state) have defaults and are never compared.
All records are frozen: planning is pure and nothing downstream may mutate what it was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

__all__ = [
    "Account",
    "AccountBaseline",
    "AccountKeys",
    "AccountRef",
    "Blocklist",
    "DeletedAccount",
    "Deployment",
    "DiagnosticSetting",
    "ModelOffer",
    "PrivateEndpoint",
    "QuotaUsage",
    "RaiPolicy",
    "ResourceGroup",
    "RoleAssignment",
    "SecretValue",
    "StoredSecret",
    "SubdomainCheck",
    "TenantPeak",
    "UsagePoint",
    "UsageSeries",
    "VaultKeys",
    "derived_default_action",
]

_PROVIDER = "Microsoft.CognitiveServices"


@dataclass(frozen=True, order=True)
class AccountRef:
    """Where an account lives: enough to address it in ARM and to key per-account write queues."""

    subscription_id: str
    resource_group: str
    name: str

    @property
    def id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/{_PROVIDER}/accounts/{self.name}"
        )

    @property
    def key(self) -> str:
        """Case-insensitive identity (ARM ids are case-insensitive)."""
        return self.id.lower()

    def __str__(self) -> str:
        return f"{self.subscription_id}/{self.resource_group}/{self.name}"

    @classmethod
    def parse(cls, resource_id: str) -> AccountRef:
        """Inverse of :attr:`id`; raises ValueError for anything that is not an account id."""
        parts = resource_id.strip("/").split("/")
        lowered = [p.lower() for p in parts]
        if (
            len(parts) != 8
            or lowered[0] != "subscriptions"
            or lowered[2] != "resourcegroups"
            or lowered[4] != "providers"
            or lowered[5] != _PROVIDER.lower()
            or lowered[6] != "accounts"
        ):
            raise ValueError(f"not a Cognitive Services account id: {resource_id!r}")
        return cls(parts[1], parts[3], parts[7])


@dataclass(frozen=True)
class ResourceGroup:
    subscription_id: str
    name: str
    location: str
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Account:
    """A Microsoft.CognitiveServices account (kind OpenAI)."""

    ref: AccountRef
    location: str
    custom_subdomain: str | None
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)
    kind: str = "OpenAI"
    sku: str = "S0"
    public_network_access: bool = True
    allowed_ips: tuple[str, ...] = ()
    disable_local_auth: bool = True
    # Known only from Azure; never compared by the diff.
    endpoint: str | None = None
    provisioning_state: str = "Succeeded"
    # The compliance settings (network rules, identity). None: not managed (stamp accounts, scenario
    # files): the account is written as it always was and nothing of it is compared. Left out of ``==``
    # because the diff compares it field by field (planning/compare.py), like the tags.
    baseline: AccountBaseline | None = field(default=None, compare=False)


def derived_default_action(public_network_access: bool, ip_rules: object, virtual_network_rules: object) -> str:
    """The firewall default tenantctl sends when none is declared: with no rule and public access on,
    everyone gets in (Allow); any rule, or public access off, flips it to Deny so only the rules let in."""
    return "Deny" if (ip_rules or not public_network_access or virtual_network_rules) else "Allow"


@dataclass(frozen=True)
class AccountBaseline:
    """An account's compliance settings beyond :class:`Account` (issue 14), kept in their own record so
    that plan files, which serialize every field of an Account, stay as they were.

    ``AccountBaseline()`` is exactly what tenantctl has always sent: default action derived from the
    account's rules, no virtual network rules, no bypass, a system-assigned identity.
    """

    # None: derived as before (Deny when there are IP rules, VNet rules or public access is off, else
    # Allow); "Allow" / "Deny" when declared. Read back from Azure as Azure has it.
    network_default_action: str | None = None
    virtual_network_rules: tuple[str, ...] = ()  # subnet resource ids
    network_bypass: str | None = None  # "AzureServices" / "None"; None = not sent (Azure's default)
    identity: str = "system-assigned"  # or "none"
    # Known only from Azure; never compared by the diff.
    identity_principal_id: str | None = None
    private_endpoint_connections: tuple[str, ...] = ()  # private endpoint ids, from the account's side


@dataclass(frozen=True)
class Deployment:
    """A model deployment on an account. ``capacity`` is in Azure's units (1 = 1,000 TPM, or PTUs)."""

    account: AccountRef
    name: str
    model: str
    version: str
    sku: str
    capacity: int
    version_upgrade_option: str = "OnceCurrentVersionExpired"
    rai_policy: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)
    format: str = "OpenAI"
    provisioning_state: str = "Succeeded"


@dataclass(frozen=True)
class RaiPolicy:
    """A content filter (RAI policy) on an account, optionally referencing blocklists."""

    account: AccountRef
    name: str
    base_policy: str
    severity: str = "Medium"
    blocklists: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Blocklist:
    """A custom blocklist and its literal terms (sorted, so comparison ignores order)."""

    account: AccountRef
    name: str
    terms: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class DeletedAccount:
    """A soft-deleted account: it keeps its name and subdomain until purged or the hold ends."""

    ref: AccountRef
    location: str
    deletion_date: datetime | None
    scheduled_purge_date: datetime | None
    custom_subdomain: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class QuotaUsage:
    """One quota line: per subscription × region × usage name (e.g. ``OpenAI.GlobalStandard.gpt-4o``)."""

    subscription_id: str
    location: str
    usage_name: str
    current: float
    limit: float
    unit: str = "Count"


@dataclass(frozen=True)
class ModelOffer:
    """One row of a region's model catalogue: a model version sold under a deployment SKU."""

    location: str
    model: str
    version: str
    sku: str
    usage_name: str
    min_capacity: int = 1
    max_capacity: int = 0
    default_capacity: int = 0
    deprecation: date | None = None
    lifecycle: str = ""
    is_default_version: bool = False


@dataclass(frozen=True)
class SubdomainCheck:
    subdomain: str
    available: bool
    reason: str = ""


@dataclass(frozen=True)
class RoleAssignment:
    scope: str
    principal_id: str
    role_definition_id: str
    name: str = ""
    principal_type: str = "ServicePrincipal"


class SecretValue:
    """A key or secret value that never shows itself: repr, str and format print ``***``.

    The value leaves only through :meth:`reveal`, called by the adapter when it hands the value to
    Azure (a Key Vault ``set_secret``); logs, plans, JSON envelopes and tracebacks see ``***``.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretValue(***)"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValue) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("SecretValue", self._value))


@dataclass(frozen=True)
class AccountKeys:
    """Both keys of an account (listKeys / regenerateKey); the values are :class:`SecretValue`."""

    account: AccountRef
    key1: SecretValue
    key2: SecretValue

    def key(self, name: str) -> SecretValue:
        """``key1`` or ``key2`` (any case)."""
        return self.key1 if name.lower() == "key1" else self.key2


@dataclass(frozen=True)
class StoredSecret:
    """One version of a Key Vault secret. ``value`` is None when only the metadata was read."""

    vault_url: str
    name: str
    version: str
    value: SecretValue | None = None
    content_type: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)
    updated: datetime | None = None


@dataclass(frozen=True)
class PrivateEndpoint:
    """A Microsoft.Network private endpoint into ``subnet_id`` connected to ``target_id`` (an account),
    with a DNS zone group (``default``) on ``dns_zone_ids`` when there are any."""

    subscription_id: str
    resource_group: str
    name: str
    location: str
    subnet_id: str
    target_id: str
    group_ids: tuple[str, ...] = ("account",)
    dns_zone_ids: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Known only from Azure; never compared by the diff.
    connection_status: str | None = None  # Approved / Pending / Rejected / Disconnected
    provisioning_state: str = "Succeeded"

    @property
    def id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Network/privateEndpoints/{self.name}"
        )

    @property
    def account(self) -> AccountRef:
        """The account the endpoint connects to (ValueError when ``target_id`` is no account)."""
        return AccountRef.parse(self.target_id)


@dataclass(frozen=True)
class DiagnosticSetting:
    """A Microsoft.Insights diagnostic setting on ``target_id`` sending to a Log Analytics workspace."""

    target_id: str
    name: str
    workspace_id: str
    log_categories: tuple[str, ...] = ("Audit", "RequestResponse", "Trace")
    metric_categories: tuple[str, ...] = ("AllMetrics",)
    # Azure keeps no tags on a diagnostic setting: tenantctl owns the one named after its manifest, and
    # gives it the tags of its account (owner, protection) so planning treats it like any account child.
    tags: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def account(self) -> AccountRef:
        return AccountRef.parse(self.target_id)


@dataclass(frozen=True)
class VaultKeys:
    """An account's keys kept in a Key Vault (local auth on): one secret per key and the active one.

    ``name`` is the active-key secret (what clients and routes read); the others are ``name`` + ``1``/``2``
    (:func:`tenantctl.naming.key_secret_name`). Observed from the active secret's metadata only: tenantctl
    never reads a key to plan.
    """

    account: AccountRef
    vault_id: str
    name: str
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Known only from Azure; never compared by the diff.
    active_key: str | None = field(default=None, compare=False)  # key1 / key2, the marker on the secret
    updated: datetime | None = field(default=None, compare=False)  # when the active key was last stored


@dataclass(frozen=True)
class UsagePoint:
    """Usage in one interval starting at ``start`` (UTC). ``requests`` are the calls Azure served
    (every status but 429); ``throttled_requests`` the calls answered 429."""

    start: datetime
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    throttled_requests: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class UsageSeries:
    """Usage of one deployment (``source="account"``: ``scope`` = account id, ``key`` = deployment name)
    or of one gateway tenant (``source="gateway"``: ``scope`` = workspace id, ``key`` = the tenant
    dimension's value, ``""`` when the gateway emitted none). Points are in time order, one per
    interval with data."""

    source: str
    scope: str
    key: str
    granularity: timedelta
    points: tuple[UsagePoint, ...]

    @property
    def prompt_tokens(self) -> int:
        return sum(p.prompt_tokens for p in self.points)

    @property
    def completion_tokens(self) -> int:
        return sum(p.completion_tokens for p in self.points)

    @property
    def requests(self) -> int:
        return sum(p.requests for p in self.points)

    @property
    def throttled_requests(self) -> int:
        return sum(p.throttled_requests for p in self.points)

    @property
    def peak_tokens_per_interval(self) -> int:
        """Largest prompt + completion of one interval (the peak TPM when the granularity is 1 minute)."""
        return max((p.tokens for p in self.points), default=0)


@dataclass(frozen=True)
class TenantPeak:
    """The busiest minute of one gateway tenant in a window: prompt + completion tokens."""

    workspace_id: str
    tenant: str
    tokens_per_minute: int
