"""Desired state: what must exist in Azure for a manifest, per isolation model (pure).

``desired_state(manifest, placement_hints=...)`` turns the manifest into resource records (the same
records the cloud adapter returns), each wrapped in a :class:`DesiredItem` carrying its stable
address and owner.  It never looks at Azure: where a ``dedicated-deployment`` tenant lands on its
stamp is decided by :mod:`tenantctl.planning.placement` (which does look at observed state) and
passed in as :class:`PlacementHints`, so this module stays a pure function of its arguments.

======================  ==================================================================
isolation               desired resources
======================  ==================================================================
dedicated               resource group, account ``{prefix}-{tenant}`` with its network rules,
                        local auth and identity, deployments as declared, RAI policy
                        (+ blocklist) when a content filter is set, private endpoints and
                        a diagnostic setting when declared
dedicated-deployment    deployments ``{tenant}--{name}`` on its stamp account, optional
                        per-tenant RAI policy (+ blocklist) on that account
shared                  nothing (a budget on the stamp's shared deployments)
tenant-provided         nothing (verified, never written)
stamps                  resource group, accounts ``{prefix}-{stamp}--{nn}`` (each with the
                        stamp's diagnostic setting); the first carries all of the stamp's shared
                        deployments, a grown one only those its assigned shared tenants cover
                        (:mod:`tenantctl.manifest.shared_accounts`)
======================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tenantctl import naming
from tenantctl.addresses import Address, ResourceGroupAddress, ResourceKind, StampAddress, TenantAddress
from tenantctl.manifest.model import ContentFilter, Diagnostics, Isolation, Manifest, ResolvedDeployment, Tenant
from tenantctl.manifest.shared_accounts import (
    BASE_ACCOUNT,
    covered_deployments,
    shared_account,
    shared_deployments_by_account,
)
from tenantctl.resources import (
    Account,
    AccountBaseline,
    AccountRef,
    Blocklist,
    Deployment,
    DiagnosticSetting,
    PrivateEndpoint,
    RaiPolicy,
    ResourceGroup,
    VaultKeys,
    derived_default_action,
)

__all__ = [
    "DEFAULT_RAI_POLICY",
    "TAG_PROTECTED",
    "DesiredItem",
    "DesiredResource",
    "DesiredState",
    "PlacementHints",
    "SharedBudget",
    "desired_state",
]

DesiredResource = (
    ResourceGroup | Account | Deployment | RaiPolicy | Blocklist | PrivateEndpoint | DiagnosticSetting | VaultKeys
)

# The policy Azure applies when a deployment names none; deployments without a tenant filter use it.
DEFAULT_RAI_POLICY = "Microsoft.DefaultV2"
# Protection travels with the resources so that a tenant removed from the manifest stays protected.
TAG_PROTECTED = "tenantctl-protected"


@dataclass(frozen=True)
class PlacementHints:
    """Where dedicated-deployment tenants go: ``tenant_account[tenant] = stamp account index`` (from 1).

    ``stamp_accounts[stamp]`` is how many accounts the stamp has after placement (at least 1).
    ``tenant_home[tenant]`` is the (subscription, resource group) of a dedicated tenant's account
    (:mod:`tenantctl.planning.pool_placement`); absent: the provider's, unless the manifest has a pool.
    """

    tenant_account: Mapping[str, int] = field(default_factory=dict)
    stamp_accounts: Mapping[str, int] = field(default_factory=dict)
    tenant_home: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # A dedicated account's subdomain when it is not its name: the new account of a tenant moving
    # to another subscription (subdomains are global, the old account still holds the name's).
    tenant_subdomain: Mapping[str, str] = field(default_factory=dict)
    # (subscription, resource group) of each stamp's accounts (pool placement); absent: the stamp's
    # declared home, unless the manifest has a pool (then the stamp was not placed: no resources).
    stamp_home: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class DesiredItem:
    """One resource the manifest wants, with its user-facing address and owner."""

    address: Address
    resource: DesiredResource
    tenant: str | None = None
    stamp: str | None = None
    account: AccountRef | None = None
    protected: bool = False


@dataclass(frozen=True)
class SharedBudget:
    """A shared tenant's TPM budget on a stamp's shared deployments (enforced by the gateway).

    ``account`` is the stamp account (index from 1) the tenant lives on: its copies of the shared
    deployments carry the budget, and the gateway routes the tenant there.
    """

    tenant: str
    stamp: str
    tpm: int
    deployments: tuple[str, ...]
    account: int = BASE_ACCOUNT


@dataclass(frozen=True)
class DesiredState:
    """Everything the manifest wants in Azure, in a deterministic order (tenants and stamps sorted)."""

    items: tuple[DesiredItem, ...]
    budgets: tuple[SharedBudget, ...] = ()
    # Where each placed stamp's accounts live: what routing, quota and inspect name for a stamp.
    stamp_homes: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def by_address(self) -> dict[Address, DesiredItem]:
        return {item.address: item for item in self.items}


def _ownership(manifest: Manifest, extra: Mapping[str, str], own: Mapping[str, str]) -> dict[str, str]:
    # Ownership tags are applied last so that user tags can never overwrite them.
    tags = dict(manifest.provider.tags)
    tags.update(extra)
    tags.update({naming.TAG_MANAGED_BY: naming.MANAGED_BY_VALUE, naming.TAG_MANIFEST: manifest.provider.manifest_name})
    tags.update(own)
    return tags


def _tenant_tags(manifest: Manifest, tenant_id: str, tenant: Tenant) -> dict[str, str]:
    own = {naming.TAG_TENANT: tenant_id, naming.TAG_ISOLATION: tenant.isolation.value}
    if tenant.stamp is not None and tenant.isolation is Isolation.DEDICATED_DEPLOYMENT:
        own[naming.TAG_STAMP] = tenant.stamp
    # Always set, so that un-protecting a tenant clears the tag a later prune looks at.
    own[TAG_PROTECTED] = "true" if tenant.protected else "false"
    return _ownership(manifest, tenant.tags, own)


def _deployment(ref: AccountRef, name: str, spec: ResolvedDeployment, rai: str, tags: Mapping[str, str]) -> Deployment:
    return Deployment(
        account=ref,
        name=name,
        model=spec.model,
        version=spec.version,
        sku=spec.sku,
        capacity=spec.capacity,
        version_upgrade_option=spec.version_upgrade_option,
        rai_policy=rai,
        tags=dict(tags),
        format=spec.format,
    )


class _Builder:
    def __init__(self, manifest: Manifest, hints: PlacementHints) -> None:
        self.m = manifest
        self.hints = hints
        self.items: list[DesiredItem] = []
        self.groups: dict[tuple[str, str], str] = {}

    def group(self, subscription_id: str, resource_group: str, location: str) -> None:
        # The first user of a group decides its location (the provider's group: provider.location).
        self.groups.setdefault((subscription_id, resource_group), location)

    def add(self, item: DesiredItem) -> None:
        self.items.append(item)

    def content_filter(
        self, tenant_id: str, tenant: Tenant, ref: AccountRef, tags: Mapping[str, str], stamp: str | None
    ) -> str:
        """Add the tenant's RAI policy (and blocklist) on ``ref``; return the policy deployments use."""
        cf: ContentFilter | None = tenant.content_filter or self.m.defaults.content_filter
        if cf is None:
            return DEFAULT_RAI_POLICY
        blocklists: tuple[str, ...] = ()
        if cf.blocklist:
            bl = Blocklist(ref, naming.blocklist_name(tenant_id), tuple(sorted(set(cf.blocklist))), dict(tags))
            blocklists = (bl.name,)
            self.add(
                DesiredItem(
                    TenantAddress(tenant_id, ResourceKind.BLOCKLIST), bl, tenant_id, stamp, ref, tenant.protected
                )
            )
        policy = RaiPolicy(ref, naming.rai_policy_name(tenant_id), cf.base, cf.severity, blocklists, dict(tags))
        self.add(
            DesiredItem(
                TenantAddress(tenant_id, ResourceKind.RAI_POLICY), policy, tenant_id, stamp, ref, tenant.protected
            )
        )
        return policy.name

    def dedicated(self, tenant_id: str, tenant: Tenant) -> None:
        p = self.m.provider
        location = self.m.tenant_location(tenant_id)
        tags = _tenant_tags(self.m, tenant_id, tenant)
        name = naming.dedicated_account_name(p.name_prefix, tenant_id)
        home = self.hints.tenant_home.get(tenant_id)
        if home is None and p.pool:
            return  # not placed in the pool: placement reported why
        sub, rg = home or (p.subscription_id, p.resource_group)
        ref = AccountRef(sub, rg, name)
        self.group(sub, rg, p.location)
        net = tenant.network
        public = net.public_access if net else True
        ips = tuple(sorted(net.allowed_ips)) if net else ()
        subnets = tuple(sorted(net.virtual_network_rules)) if net else ()
        account = Account(
            ref=ref,
            location=location,
            custom_subdomain=self.hints.tenant_subdomain.get(tenant_id, naming.custom_subdomain(name)),
            tags=tags,
            public_network_access=public,
            allowed_ips=ips,
            disable_local_auth=not tenant.local_auth,
            baseline=AccountBaseline(
                network_default_action=(net.default_action if net else None)
                or derived_default_action(public, ips, subnets),
                virtual_network_rules=subnets,
                network_bypass=net.bypass if net else None,
                identity=tenant.identity,
            ),
        )
        self.add(
            DesiredItem(
                TenantAddress.account(tenant_id),
                account,
                tenant=tenant_id,
                account=ref,
                protected=tenant.protected,
            )
        )
        rai = self.content_filter(tenant_id, tenant, ref, tags, None)
        for spec in self.m.resolved_deployments(tenant_id):
            self.add(
                DesiredItem(
                    TenantAddress.deployment(tenant_id, spec.name),
                    _deployment(ref, spec.name, spec, rai, tags),
                    tenant=tenant_id,
                    account=ref,
                    protected=tenant.protected,
                )
            )
        for spec_pe in net.private_endpoints if net else ():
            endpoint = PrivateEndpoint(
                subscription_id=p.subscription_id,
                resource_group=p.resource_group,
                name=naming.private_endpoint_name(name, spec_pe.subnet_id),
                location=spec_pe.location or location,
                subnet_id=spec_pe.subnet_id,
                target_id=ref.id,
                dns_zone_ids=(spec_pe.dns_zone_id,) if spec_pe.dns_zone_id else (),
                tags=tags,
            )
            key = naming.private_endpoint_key(name, endpoint.name)
            self.add(
                DesiredItem(
                    TenantAddress(tenant_id, ResourceKind.PRIVATE_ENDPOINT, key),
                    endpoint,
                    tenant=tenant_id,
                    account=ref,
                    protected=tenant.protected,
                )
            )
        vault = self.m.provider.key_vault
        if tenant.local_auth and vault is not None:
            self.add(
                DesiredItem(
                    TenantAddress(tenant_id, ResourceKind.ACCOUNT_KEYS),
                    VaultKeys(ref, vault.id, naming.key_secret_name(tenant_id), tags=dict(tags)),
                    tenant=tenant_id,
                    account=ref,
                    protected=tenant.protected,
                )
            )
        if tenant.diagnostics is not None:
            self.add(
                DesiredItem(
                    TenantAddress(tenant_id, ResourceKind.DIAGNOSTIC_SETTING),
                    self.diagnostic_setting(ref, tenant.diagnostics, tags),
                    tenant=tenant_id,
                    account=ref,
                    protected=tenant.protected,
                )
            )

    def diagnostic_setting(self, ref: AccountRef, wanted: Diagnostics, tags: Mapping[str, str]) -> DiagnosticSetting:
        """The setting tenantctl owns on ``ref``: the declared log categories, and AllMetrics when listed."""
        return DiagnosticSetting(
            target_id=ref.id,
            name=naming.diagnostic_setting_name(self.m.provider.manifest_name),
            workspace_id=wanted.workspace_id,
            log_categories=tuple(sorted({c for c in wanted.categories if c != "AllMetrics"})),
            metric_categories=("AllMetrics",) if "AllMetrics" in wanted.categories else (),
            tags=dict(tags),
        )

    def stamp_home(self, stamp_id: str) -> tuple[str, str] | None:
        """Where the stamp's accounts live; None: the pool had no room for it (placement said why)."""
        home = self.hints.stamp_home.get(stamp_id)
        if home is None and not self.m.provider.pool:
            home = (self.m.stamp_subscription(stamp_id), self.m.stamp_resource_group(stamp_id))
        return home

    def stamp_ref(self, home: tuple[str, str], stamp_id: str, index: int) -> AccountRef:
        return AccountRef(*home, naming.stamp_account_name(self.m.provider.name_prefix, stamp_id, index))

    def on_stamp(self, tenant_id: str, tenant: Tenant) -> None:
        stamp_id = tenant.stamp
        index = self.hints.tenant_account.get(tenant_id)
        home = self.stamp_home(stamp_id) if stamp_id is not None else None
        if stamp_id is None or index is None or home is None:
            return  # unplaceable: placement reported why
        ref = self.stamp_ref(home, stamp_id, index)
        tags = _tenant_tags(self.m, tenant_id, tenant)
        rai = self.content_filter(tenant_id, tenant, ref, tags, stamp_id)
        for spec in self.m.resolved_deployments(tenant_id):
            self.add(
                DesiredItem(
                    TenantAddress.deployment(tenant_id, spec.name),
                    _deployment(ref, naming.tenant_deployment_name(tenant_id, spec.name), spec, rai, tags),
                    tenant=tenant_id,
                    stamp=stamp_id,
                    account=ref,
                    protected=tenant.protected,
                )
            )

    def stamp(self, stamp_id: str) -> None:
        stamp = self.m.stamps[stamp_id]
        home = self.stamp_home(stamp_id)
        if home is None:
            return
        self.group(*home, stamp.location)
        tags = _ownership(self.m, {}, {naming.TAG_STAMP: stamp_id})
        shared = self.m.stamp_deployments(stamp_id)
        needed = shared_deployments_by_account(self.m, stamp_id)
        count = max(1, self.hints.stamp_accounts.get(stamp_id, 1), *needed)
        for index in range(1, count + 1):
            ref = self.stamp_ref(home, stamp_id, index)
            account = Account(ref, stamp.location, naming.custom_subdomain(ref.name), tags)
            self.add(DesiredItem(StampAddress.account(stamp_id, index), account, stamp=stamp_id, account=ref))
            if stamp.diagnostics is not None:
                setting = self.diagnostic_setting(ref, stamp.diagnostics, tags)
                self.add(
                    DesiredItem(
                        StampAddress(stamp_id, ResourceKind.DIAGNOSTIC_SETTING, index, setting.name),
                        setting,
                        stamp=stamp_id,
                        account=ref,
                    )
                )
            for spec in (s for s in shared if s.name in needed.get(index, ())):
                self.add(
                    DesiredItem(
                        StampAddress(stamp_id, ResourceKind.DEPLOYMENT, index, spec.name),
                        _deployment(ref, spec.name, spec, DEFAULT_RAI_POLICY, tags),
                        stamp=stamp_id,
                        account=ref,
                    )
                )


def desired_state(manifest: Manifest, *, placement_hints: PlacementHints | None = None) -> DesiredState:
    """The resources ``manifest`` wants, given where placement put dedicated-deployment tenants.

    Pure and deterministic: tenants and stamps are visited in sorted order. A dedicated-deployment
    tenant missing from ``placement_hints`` gets no resources (placement reports it as an error).
    """
    b = _Builder(manifest, placement_hints or PlacementHints())
    budgets: list[SharedBudget] = []
    for stamp_id in sorted(manifest.stamps):
        b.stamp(stamp_id)
    for tenant_id in sorted(manifest.tenants):
        tenant = manifest.tenants[tenant_id]
        if tenant.isolation is Isolation.DEDICATED:
            b.dedicated(tenant_id, tenant)
        elif tenant.isolation is Isolation.DEDICATED_DEPLOYMENT:
            b.on_stamp(tenant_id, tenant)
        elif tenant.isolation is Isolation.SHARED and tenant.stamp in manifest.stamps and tenant.tpm:
            names = covered_deployments(manifest, tenant_id)
            budgets.append(
                SharedBudget(tenant_id, tenant.stamp, tenant.tpm, names, shared_account(manifest, tenant_id))
            )
        # tenant-provided: nothing in the provider's Azure; verified by the byo module.
    groups = [
        DesiredItem(ResourceGroupAddress(sub, rg), ResourceGroup(sub, rg, loc, _ownership(manifest, {}, {})))
        for (sub, rg), loc in sorted(b.groups.items())
    ]
    homes = {s: home for s in manifest.stamps if (home := b.stamp_home(s)) is not None}
    return DesiredState(tuple(groups + b.items), tuple(budgets), homes)
