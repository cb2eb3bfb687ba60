"""Read-only observation scoped to what ``inspect`` and ``quota`` show: a few requests, never a write.

``observe_tenant`` reads only what concerns one tenant, so inspecting a dedicated tenant costs at
most six ARM requests however large the fleet is (``plan``'s :class:`~tenantctl.observation.Observer`
would list the deployments of every account in the resource group):

=======================  =====================================================================
isolation                requests
=======================  =====================================================================
dedicated                accounts of its group (1), its deployments (1), RAI policies and
                         blocklists exactly where ``plan`` reads them (policies 1; blocklists
                         1 + 1 per blocklist), the region's model catalogue (1), role
                         assignments at the account (1), private endpoints of its group (1)
                         and its diagnostic settings (1) only when declared or shown by the
                         account; deleted accounts (1) only when the
                         account is missing (a live account and a soft-deleted one cannot share
                         a name, so there is nothing to find otherwise)
dedicated-deployment     accounts of the stamp's group (1), deployments of each stamp account
                         (placement is sticky and needs them), RAI policies and blocklists of
                         its account where ``plan`` reads them, models (1), role assignments at
                         its account (1), deleted accounts (1: a leftover of a former dedicated
                         account)
shared                   accounts of the stamp's group (1), deployments of each stamp account,
                         models (1), deleted accounts (1)
tenant-provided          deleted accounts (1); the verifier reads the tenant's side
=======================  =====================================================================

Filters are read by the same rule as ``plan``'s :class:`~tenantctl.observation.Observer`
(:func:`~tenantctl.observation.observer.wants_filters` and ``wants_blocklists``): an account's
view here is the one ``plan`` sees, so ``inspect`` reports the drift ``plan`` would fix, blocklist
terms included (reading fewer would make a term added in Azure invisible here and visible there).

``observe_quota`` reads the managed accounts as ``plan`` does (:mod:`.fleet_accounts`) and usages + models once
per region.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tenantctl import naming
from tenantctl.cloud.port import CloudPort
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.manifest.pool import candidate_regions, pool_groups, stamp_groups
from tenantctl.manifest.shared_accounts import shared_account
from tenantctl.observation.fleet_accounts import fleet_accounts
from tenantctl.observation.observer import read_baseline, read_vault_keys, wants_blocklists, wants_filters
from tenantctl.observation.state import ObservedState, Region, split_by_owner
from tenantctl.resources import (
    Account,
    AccountRef,
    Blocklist,
    DeletedAccount,
    Deployment,
    ModelOffer,
    QuotaUsage,
    RaiPolicy,
    RoleAssignment,
)

__all__ = [
    "QuotaObservation",
    "TenantObservation",
    "manifest_regions",
    "observe_catalogues",
    "observe_quota",
    "observe_tenant",
]


@dataclass(frozen=True)
class TenantObservation:
    """What was read for one tenant. ``None`` means "not read" (as opposed to read and empty)."""

    state: ObservedState
    account: AccountRef | None  # the account hosting the tenant's resources, when it exists
    role_assignments: tuple[RoleAssignment, ...] | None = None
    deleted_accounts: tuple[DeletedAccount, ...] | None = None


def _filters(
    manifest: Manifest, cloud: CloudPort, account: Account, deployments: tuple[Deployment, ...]
) -> tuple[dict[str, tuple[RaiPolicy, ...]], dict[str, tuple[Blocklist, ...]]]:
    """RAI policies and blocklists of ``account``, read where (and only where) ``plan`` reads them."""
    key = account.ref.key
    if not wants_filters(manifest, account, deployments):
        return {}, {}
    policies = tuple(cloud.list_rai_policies(account.ref))
    if not wants_blocklists(manifest, account, deployments, policies):
        return {key: policies}, {}
    return {key: policies}, {key: tuple(cloud.list_blocklists(account.ref))}


def _list_group(cloud: CloudPort, sub: str, rg: str) -> tuple[dict[str, Account], dict[str, Account]]:
    return split_by_owner(cloud.list_accounts(sub, rg))


def _stamp_keys(managed: dict[str, Account], stamp_id: str) -> list[str]:
    return sorted(k for k, a in managed.items() if a.tags.get(naming.TAG_STAMP) == stamp_id)


def _with_leftovers(
    manifest: Manifest,
    cloud: CloudPort,
    tenant_id: str,
    state: ObservedState,
    *,
    account: AccountRef | None = None,
    roles: tuple[RoleAssignment, ...] | None = None,
) -> TenantObservation:
    """Finish an observation with the provider subscription's deleted accounts (one request).

    The whole list goes into the state, so the planner can plan a restore instead of a create; the
    leftovers shown are those bearing the tenant's dedicated name or its tenant tag.
    """
    sub = manifest.provider.subscription_id
    deleted = tuple(cloud.list_deleted_accounts(sub))
    name = naming.dedicated_account_name(manifest.provider.name_prefix, tenant_id).lower()
    mine = tuple(d for d in deleted if d.ref.name.lower() == name or d.tags.get(naming.TAG_TENANT) == tenant_id)
    return TenantObservation(state.merged(deleted_accounts={sub: deleted}), account, roles, mine)


def _dedicated(manifest: Manifest, cloud: CloudPort, tenant_id: str) -> TenantObservation:
    p = manifest.provider
    name = naming.dedicated_account_name(p.name_prefix, tenant_id)
    # With a pool the account may be in any member: list each group until it is found (sticky
    # placement never moves it, so the first match is its home).
    groups = pool_groups(manifest, tenant_id)
    managed: dict[str, Account] = {}
    foreign: dict[str, Account] = {}
    listed: list[tuple[str, str]] = []
    account = None
    for sub, rg in groups:
        found, others = _list_group(cloud, sub, rg)
        managed.update(found)
        foreign.update(others)
        listed.append((sub, rg))
        account = managed.get(AccountRef(sub, rg, name).key)
        if account is not None:
            break
    ref = account.ref if account is not None else AccountRef(*groups[0], name)
    deployments: dict[str, tuple[Deployment, ...]] = {}
    state = ObservedState(managed, foreign, tuple(listed), deployments)
    if account is None:
        # Read the catalogue anyway: whether the declared versions exist (and until when) matters most now.
        region = (groups[0][0], manifest.tenant_location(tenant_id))
        models = {region: tuple(cloud.list_models(*region))} if _owns_any(manifest, tenant_id) else {}
        return _with_leftovers(manifest, cloud, tenant_id, state.merged(models=models))
    deployments[ref.key] = tuple(cloud.list_deployments(ref))
    policies, blocklists = _filters(manifest, cloud, account, deployments[ref.key])
    region = (ref.subscription_id, account.location)
    models = (
        {region: tuple(cloud.list_models(*region))} if deployments[ref.key] or _owns_any(manifest, tenant_id) else {}
    )
    # The baseline: one endpoint list and one diagnostic-settings list, only when declared or shown.
    endpoints, settings = read_baseline(manifest, cloud, {ref.key: account})
    state = state.merged(
        rai_policies=policies,
        blocklists=blocklists,
        models=models,
        private_endpoints=endpoints,
        diagnostic_settings=settings,
        vault_keys=read_vault_keys(manifest, cloud, {ref.key: account}),
    )
    roles = tuple(cloud.list_role_assignments(ref.id))
    return TenantObservation(state, account.ref, roles, ())


def _owns_any(manifest: Manifest, tenant_id: str) -> bool:
    return bool(manifest.tenant_deployment_specs(tenant_id))


def _on_stamp(manifest: Manifest, cloud: CloudPort, tenant_id: str) -> TenantObservation:
    tenant = manifest.tenants[tenant_id]
    stamp_id = tenant.stamp or ""
    if stamp_id not in manifest.stamps:
        return _with_leftovers(manifest, cloud, tenant_id, ObservedState())
    # With a pool the stamp may live in any member allowing its region: list each group until its
    # accounts are found (placement never moves a stamp, so the first match is its home).
    managed: dict[str, Account] = {}
    foreign: dict[str, Account] = {}
    listed: list[tuple[str, str]] = []
    keys: list[str] = []
    for sub, rg in stamp_groups(manifest, stamp_id):
        found, others = _list_group(cloud, sub, rg)
        managed.update(found)
        foreign.update(others)
        listed.append((sub, rg))
        keys = _stamp_keys(managed, stamp_id)
        if keys:
            break
    sub = managed[keys[0]].ref.subscription_id if keys else listed[0][0]
    deployments = {k: tuple(cloud.list_deployments(managed[k].ref)) for k in keys}
    home = next(
        (k for k in keys if any(d.tags.get(naming.TAG_TENANT) == tenant_id for d in deployments[k])),
        None,
    )
    if tenant.isolation is Isolation.SHARED:
        # A shared tenant lives on the stamp account it is assigned to (routing sends it there).
        name = naming.stamp_account_name(manifest.provider.name_prefix, stamp_id, shared_account(manifest, tenant_id))
        home = next((k for k in keys if managed[k].ref.name.lower() == name.lower()), None)
        host = managed[home] if home else None
    else:
        # Where a tenant has no deployment yet, placement decides; the first stamp account is the
        # one whose roles and filters matter until then.
        host = managed[home] if home else (managed[keys[0]] if keys else None)
    state = ObservedState(managed, foreign, tuple(listed), deployments)
    if host is None:
        return _with_leftovers(manifest, cloud, tenant_id, state)
    dedicated_deployment = tenant.isolation is Isolation.DEDICATED_DEPLOYMENT
    # A shared tenant's drift is its stamp's shared deployments: no filter of its own to compare.
    policies, blocklists = (
        _filters(manifest, cloud, host, deployments[host.ref.key]) if dedicated_deployment else ({}, {})
    )
    region = (sub, host.location)
    state = state.merged(
        rai_policies=policies, blocklists=blocklists, models={region: tuple(cloud.list_models(*region))}
    )
    roles = tuple(cloud.list_role_assignments(host.ref.id)) if dedicated_deployment else None
    return _with_leftovers(manifest, cloud, tenant_id, state, account=host.ref, roles=roles)


def observe_tenant(manifest: Manifest, cloud: CloudPort, tenant_id: str) -> TenantObservation:
    """Read what inspecting ``tenant_id`` shows (see the module docstring for the cost). Read-only."""
    isolation = manifest.tenants[tenant_id].isolation
    if isolation is Isolation.DEDICATED:
        return _dedicated(manifest, cloud, tenant_id)
    if isolation in (Isolation.DEDICATED_DEPLOYMENT, Isolation.SHARED):
        return _on_stamp(manifest, cloud, tenant_id)
    return _with_leftovers(manifest, cloud, tenant_id, ObservedState())


@dataclass(frozen=True)
class QuotaObservation:
    """Usages and catalogues per region, and the managed accounts (stamps grow by account)."""

    accounts: tuple[Account, ...]
    usages: dict[Region, tuple[QuotaUsage, ...]]
    models: dict[Region, tuple[ModelOffer, ...]]


def manifest_regions(manifest: Manifest) -> list[Region]:
    """Every (subscription, region) the manifest places accounts in, sorted."""
    regions: set[Region] = set()
    for tenant_id, tenant in manifest.tenants.items():
        if tenant.isolation is Isolation.DEDICATED:
            regions.update(candidate_regions(manifest, tenant_id))
    for stamp_id, stamp in manifest.stamps.items():
        regions.update((sub, stamp.location) for sub, _ in stamp_groups(manifest, stamp_id))
    return sorted(regions)


def observe_quota(
    manifest: Manifest, cloud: CloudPort, *, locations: Iterable[str] = (), catalogues: bool = True
) -> QuotaObservation:
    """Managed accounts (one list per group), then usages and models per region. Read-only.

    ``catalogues=False`` skips the model catalogues (the heaviest read, one per region): they only refine
    a few usage-line names, which ``usage``'s quota headroom can do without."""
    wanted = {loc.lower() for loc in locations}
    regions = [r for r in manifest_regions(manifest) if not wanted or r[1].lower() in wanted]
    managed, _ = fleet_accounts(manifest, cloud)  # one Resource Graph query, not one list per group
    return QuotaObservation(
        tuple(managed[k] for k in sorted(managed)),
        {r: tuple(cloud.list_usages(*r)) for r in regions},
        {r: tuple(cloud.list_models(*r)) for r in regions} if catalogues else {},
    )


def observe_catalogues(cloud: CloudPort, regions: Iterable[Region]) -> dict[Region, tuple[ModelOffer, ...]]:
    """The model catalogue of each region (one request each): retirement dates for ``status``."""
    return {r: tuple(cloud.list_models(*r)) for r in sorted(set(regions))}
