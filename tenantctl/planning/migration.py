"""Migration between isolation models, make-before-break, in three phases (pure).

A tenant migrates when the manifest changes its ``isolation`` (shared -> dedicated-deployment ->
dedicated, and back).  Its *old generation* is what Azure still has for it under the previous
model: resources tagged ``tenantctl-tenant=<id>`` whose ``tenantctl-isolation`` tag differs from
the manifest's.  Without this module the diff would see the new deployment address living on
another account and plan a REPLACE (delete, then create: an outage), and ``--prune`` would delete
the old account as an orphan before the gateway stopped sending traffic to it.  Instead:

=====  ======================================================================  ===============
phase  what happens                                                            who does it
=====  ======================================================================  ===============
1      create the new resources (account, deployments, filter) next to the     ``apply``
       old ones
2      verify: the next plan observes them, Succeeded; ``export routing``      ``plan`` /
       then points the tenant at them (until then it keeps the old route:      ``export routing``
       :func:`live_route`)
3      retire the old generation: DELETE, only with ``apply --retire`` and     ``apply --retire``
       only once phase 2 is done; otherwise kept and reported as
       "retire pending"
=====  ======================================================================  ===============

:func:`split_observed` hides the old generation from the diff (so the new resources are plain
CREATEs and the old ones are never orphans), and :func:`retire_changes` adds the phase-3 steps.
Migration state needs no extra tags: the isolation tag every resource already carries says which
generation it belongs to, and Azure's provisioning states say whether phase 1 is done.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tenantctl import naming
from tenantctl.addresses import Address, OnAccount, TenantAddress
from tenantctl.desired import DesiredState
from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.manifest.shared_accounts import BASE_ACCOUNT
from tenantctl.observation import ObservedState, is_managed
from tenantctl.planning.model import Action, Change, ResourceKind
from tenantctl.resources import Account, AccountRef, Blocklist, Deployment, RaiPolicy
from tenantctl.wording import count_of

__all__ = [
    "RETIRE_PENDING",
    "LiveRoute",
    "OldGeneration",
    "hosting_accounts",
    "live_route",
    "migration_phase",
    "old_generations",
    "resources_live",
    "retire_changes",
    "split_observed",
    "target_ready",
]

RETIRE_PENDING = "retire pending (run apply --retire after switching routing)"
Child = Deployment | RaiPolicy | Blocklist
_SUCCEEDED = "succeeded"


@dataclass(frozen=True)
class OldGeneration:
    """What Azure still has for a tenant under its previous isolation model."""

    tenant: str
    isolation: str  # the previous model (the resources' tenantctl-isolation tag)
    accounts: tuple[Account, ...] = ()
    children: tuple[Child, ...] = ()  # deployments, RAI policies, blocklists (on old or stamp accounts)

    @property
    def deployments(self) -> tuple[Deployment, ...]:
        return tuple(c for c in self.children if isinstance(c, Deployment))


def _ours(manifest: Manifest, tags: Mapping[str, str]) -> bool:
    return is_managed(tags) and tags.get(naming.TAG_MANIFEST) == manifest.provider.manifest_name


def _previous(manifest: Manifest, tags: Mapping[str, str]) -> tuple[str, str] | None:
    """(tenant, old isolation) when a resource belongs to a tenant that has since changed model."""
    tenant_id = tags.get(naming.TAG_TENANT)
    tenant = manifest.tenants.get(tenant_id or "")
    was = tags.get(naming.TAG_ISOLATION)
    if tenant_id is None or tenant is None or not was or was == tenant.isolation.value or not _ours(manifest, tags):
        return None
    return tenant_id, was


def _moving(manifest: Manifest, account: Account) -> tuple[str, str] | None:
    """(tenant, "dedicated") for a dedicated tenant's account outside the pool subscription it is pinned to.

    A move between subscriptions is a migration too: a new account in the pinned subscription is
    made before this one is retired (see :mod:`tenantctl.planning.pool_placement`).
    """
    tenant_id = account.tags.get(naming.TAG_TENANT)
    tenant = manifest.tenants.get(tenant_id or "")
    if tenant_id is None or tenant is None or tenant.isolation is not Isolation.DEDICATED:
        return None
    pin = tenant.subscription_id
    if pin is None or pin.lower() == account.ref.subscription_id.lower() or not _ours(manifest, account.tags):
        return None
    if account.tags.get(naming.TAG_ISOLATION) != Isolation.DEDICATED.value:
        return None
    if account.ref.name.lower() != naming.dedicated_account_name(manifest.provider.name_prefix, tenant_id).lower():
        return None
    return tenant_id, Isolation.DEDICATED.value


def old_generations(manifest: Manifest, observed: ObservedState) -> dict[str, OldGeneration]:
    """Per migrating tenant, its old-generation resources (tenants removed from the manifest are orphans)."""
    accounts: dict[tuple[str, str], list[Account]] = {}
    children: dict[tuple[str, str], list[Child]] = {}
    for key, account in sorted(observed.accounts.items()):
        owner = _previous(manifest, account.tags)
        moving = _moving(manifest, account)
        if moving is not None:  # the whole account is the old generation, children and all
            accounts.setdefault(moving, []).append(account)
            on_it: list[Child] = [
                *observed.deployments.get(key, ()),
                *observed.rai_policies.get(key, ()),
                *observed.blocklists.get(key, ()),
            ]
            children.setdefault(moving, []).extend(c for c in on_it if c.tags.get(naming.TAG_TENANT) == moving[0])
            continue
        if owner is not None:
            accounts.setdefault(owner, []).append(account)
        found: list[Child] = [
            *observed.deployments.get(key, ()),
            *observed.rai_policies.get(key, ()),
            *observed.blocklists.get(key, ()),
        ]
        for child in found:
            child_owner = _previous(manifest, child.tags)
            if child_owner is not None:
                children.setdefault(child_owner, []).append(child)
    out: dict[str, OldGeneration] = {}
    for tenant_id, was in sorted(set(accounts) | set(children)):
        # One old generation per tenant: a second migration before retiring keeps the first one's too.
        previous = out.get(tenant_id)
        out[tenant_id] = OldGeneration(
            tenant_id,
            previous.isolation if previous else was,
            (*(previous.accounts if previous else ()), *accounts.get((tenant_id, was), ())),
            (*(previous.children if previous else ()), *children.get((tenant_id, was), ())),
        )
    return out


def hosting_accounts(old: Mapping[str, OldGeneration]) -> frozenset[str]:
    """Keys of accounts, not themselves old, that host old-generation resources (e.g. a stamp account).

    The diff never sees those resources (:func:`split_observed`), so it must be told not to prune
    their account: deleting it would take the old generation along before ``--retire``.
    """
    owned = {a.ref.key for g in old.values() for a in g.accounts}
    return frozenset(c.account.key for g in old.values() for c in g.children) - owned


def split_observed(observed: ObservedState, old: Mapping[str, OldGeneration]) -> ObservedState:
    """``observed`` without the old generations: what the diff should compare the manifest with."""
    if not old:
        return observed
    gone_accounts = {a.ref.key for g in old.values() for a in g.accounts}
    gone_children = {(c.account.key, type(c).__name__, c.name.lower()) for g in old.values() for c in g.children}

    def keep(per_account: Mapping[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
        return {
            key: tuple(c for c in items if (key, type(c).__name__, c.name.lower()) not in gone_children)
            for key, items in per_account.items()
            if key not in gone_accounts
        }

    return dataclasses.replace(
        observed,
        accounts={k: a for k, a in observed.accounts.items() if k not in gone_accounts},
        deployments=keep(observed.deployments),
        rai_policies=keep(observed.rai_policies),
        blocklists=keep(observed.blocklists),
    )


def _succeeded(state: str | None) -> bool:
    return (state or _SUCCEEDED).lower() == _SUCCEEDED


def target_ready(manifest: Manifest, desired: DesiredState, observed: ObservedState, tenant_id: str) -> bool:
    """Phase 2's check: every resource the tenant's *new* model needs exists in Azure and is Succeeded.

    For a shared tenant that is the stamp account it lives on and the shared deployments its budget covers.
    """
    tenant = manifest.tenants[tenant_id]
    wanted = [i for i in desired.items if i.tenant == tenant_id]
    if tenant.isolation is Isolation.SHARED and tenant.stamp is not None:
        budget = next((b for b in desired.budgets if b.tenant == tenant_id), None)
        covered = budget.deployments if budget else ()
        home = naming.stamp_account_name(
            manifest.provider.name_prefix, tenant.stamp, budget.account if budget else BASE_ACCOUNT
        )
        wanted = [
            i
            for i in desired.items
            if i.tenant is None
            and i.stamp == tenant.stamp
            and i.account is not None
            and i.account.name == home
            and (
                isinstance(i.resource, Account)
                # by the manifest's name: the Azure name may be a successor's (successors.py)
                or (isinstance(i.resource, Deployment) and getattr(i.address, "name", None) in covered)
            )
        ]
    if not wanted:
        return False
    # Only what this manifest made for the tenant (or for its stamp) counts: a same-named resource
    # that is not ours, or another tenant's, is not the tenant's new home.
    accounts_needed = {i.account.key for i in wanted if i.account is not None}
    for key in accounts_needed:
        account = observed.accounts.get(key)
        if account is None or not _succeeded(account.provisioning_state):
            return False
        if not _ours(manifest, account.tags) or account.tags.get(naming.TAG_TENANT) not in (None, tenant_id):
            return False
    for item in wanted:
        resource = item.resource
        if isinstance(resource, Deployment):
            found = {d.name.lower(): d for d in observed.deployments.get(resource.account.key, ())}
            have = found.get(resource.name.lower())
            if have is None or not _succeeded(have.provisioning_state) or not _made_for(manifest, have, item.tenant):
                return False
        elif isinstance(resource, (RaiPolicy, Blocklist)):
            listed = (observed.rai_policies if isinstance(resource, RaiPolicy) else observed.blocklists).get(
                resource.account.key, ()
            )
            mine = {r.name.lower() for r in listed if _made_for(manifest, r, item.tenant)}
            if resource.name.lower() not in mine:
                return False
    return True


def resources_live(
    manifest: Manifest, observed: ObservedState | None, ref: AccountRef, names: Iterable[str], tenant: str | None = None
) -> bool | None:
    """The account and these deployments exist, are ours and Succeeded (``None`` when nothing was observed).

    Ours means tagged for this manifest and for no tenant but ``tenant`` (``None``: a stamp's own).
    A same-named account or deployment that is not this manifest's (or is another tenant's) is never
    a route: the gateway would send the tenant's traffic to someone else's resource.
    """
    if observed is None:
        return None

    def ours(tags: Mapping[str, str]) -> bool:
        return _ours(manifest, tags) and tags.get(naming.TAG_TENANT) in (None, tenant)

    account = observed.accounts.get(ref.key)
    if account is None or not _succeeded(account.provisioning_state) or not ours(account.tags):
        return False
    have = {d.name.lower(): d for d in observed.deployments.get(ref.key, ())}
    return all(
        n.lower() in have and _succeeded(have[n.lower()].provisioning_state) and ours(have[n.lower()].tags)
        for n in names
    )


class LiveRoute(str, Enum):
    """Which of a tenant's routes the gateway uses."""

    TARGET = "target"  # the resources its declared isolation model needs
    PREVIOUS = "previous"  # its old generation, while the target is not live (make-before-break)
    SHARED_FALLBACK = "shared-fallback"  # its stamp's shared deployments, before its own exist


def live_route(*, observed: bool, target_ready: bool | None, previous_ready: bool, fallback_ready: bool) -> LiveRoute:
    """Make-before-break, phase 2: route to the target only once Azure says it is live.

    Until then a migrating tenant keeps its previous route (when that is live), and a tenant of a
    stamp whose own resources are not live yet keeps the stamp's shared deployments (the route a
    shared tenant had before it got its own). Without an observation nothing is known, so the
    target is the route (the export says so with ``ready: null``); with neither alternative live,
    the target stays the route, not ready.
    """
    if not observed or target_ready:
        return LiveRoute.TARGET
    if previous_ready:
        return LiveRoute.PREVIOUS
    return LiveRoute.SHARED_FALLBACK if fallback_ready else LiveRoute.TARGET


def migration_phase(live: LiveRoute, target_ready: bool | None) -> int:
    """1 while the target is not live (the old route serves); 2 once routed to it, old generation not retired."""
    return 2 if live is LiveRoute.TARGET and target_ready else 1


def _made_for(manifest: Manifest, resource: Child, tenant_id: str | None) -> bool:
    """Tagged for this manifest and for ``tenant_id`` (``None``: a stamp's own, no tenant's)."""
    return _ours(manifest, resource.tags) and resource.tags.get(naming.TAG_TENANT) == tenant_id


def _only_generation(observed: ObservedState, generation: OldGeneration, account: Account) -> bool:
    """Whether everything Azure shows on ``account`` belongs to ``generation``."""
    mine = {(c.account.key, type(c).__name__, c.name.lower()) for c in generation.children}
    key = account.ref.key
    found: list[Child] = [
        *observed.deployments.get(key, ()),
        *observed.rai_policies.get(key, ()),
        *observed.blocklists.get(key, ()),
    ]
    return all((key, type(c).__name__, c.name.lower()) in mine for c in found)


def _kind(resource: Account | Child) -> ResourceKind:
    if isinstance(resource, Account):
        return ResourceKind.ACCOUNT
    if isinstance(resource, Deployment):
        return ResourceKind.DEPLOYMENT
    return ResourceKind.RAI_POLICY if isinstance(resource, RaiPolicy) else ResourceKind.BLOCKLIST


def _old_address(generation: OldGeneration, resource: Account | Child) -> Address:
    """``tenant.<id>.<kind>[.<name>]@<account>``: the old twin of an address the new model reuses."""
    if isinstance(resource, Account):
        return OnAccount(TenantAddress.account(generation.tenant), resource.ref.name)
    name: str | None = None
    if isinstance(resource, Deployment):
        prefix = naming.tenant_deployment_name(generation.tenant, "")
        name = resource.name.removeprefix(prefix)
    return OnAccount(TenantAddress(generation.tenant, _kind(resource), name), resource.account.name)


def retire_changes(
    manifest: Manifest,
    desired: DesiredState,
    observed: ObservedState,
    old: Mapping[str, OldGeneration],
    diags: Diagnostics,
    *,
    retire: bool,
    tenants: Iterable[str] | None = None,
) -> list[Change]:
    """Phase 3: DELETE the old generations whose replacement is live (with ``retire``), else keep them.

    Kept resources become NOOP changes whose reason says "retire pending", plus one warning per
    tenant, so the plan shows them without apply ever touching them.  A protected tenant's old
    generation is retired too: protection guards the tenant, and its new resources are live.
    """
    selected = set(tenants) if tenants is not None else None
    out: list[Change] = []
    for tenant_id, generation in sorted(old.items()):
        if selected is not None and tenant_id not in selected:
            continue
        to = manifest.tenants[tenant_id].isolation.value
        ready = target_ready(manifest, desired, observed, tenant_id)
        doomed = retire and ready
        # Children first, then their accounts: Azure refuses nothing here, but a reader expects it.
        ordered: list[Account | Child] = [*generation.children, *generation.accounts]
        # Deleting an account deletes everything on it: only an old account that holds nothing but
        # this generation goes whole; one that also holds anything else (not ours, another tenant's)
        # is kept, and only the generation's own resources on it are retired.
        owned = {a.ref.key for a in generation.accounts if _only_generation(observed, generation, a)}
        for resource in ordered:
            # Deleting the old account takes its filters with it, but its deployments are deleted first, on
            # their own: an account soft-deleted with deployments on it keeps holding their quota, and a
            # provisioned deployment keeps being charged, until the account is purged (Microsoft advises
            # deleting deployments before the resource; see the emulator README's soft-delete citations).
            on_owned = not isinstance(resource, Account) and resource.account.key in owned
            if on_owned and doomed and not isinstance(resource, Deployment):
                continue
            ref = resource.ref if isinstance(resource, Account) else resource.account
            shared = isinstance(resource, Account) and resource.ref.key not in owned
            if doomed and shared:
                diags.warning(
                    "retired-account-kept",
                    f"{_old_address(generation, resource)} still holds resources that are not {tenant_id}'s old "
                    "generation: the account is not deleted, only the old generation's resources on it",
                    detail="delete or move what else is on it, then plan --retire again",
                    tenant=tenant_id,
                )
            retired = doomed and not shared
            out.append(
                Change(
                    _old_address(generation, resource),
                    _kind(resource),
                    Action.DELETE if retired else Action.NOOP,
                    resource,
                    None if retired else resource,
                    reason=(
                        f"retired: {tenant_id} moved from {generation.isolation} to {to} and its new resources are live"
                        if retired
                        else "kept: it holds resources that are not the old generation's"
                        if doomed
                        else RETIRE_PENDING
                    ),
                    tenant=tenant_id,
                    stamp=resource.tags.get(naming.TAG_STAMP),
                    account=ref,
                    phase=3,
                )
            )
        if not doomed:
            step = "run apply --retire after switching routing" if ready else "apply, then verify the new resources"
            diags.warning(
                "retire-pending",
                f"tenant {tenant_id!r} is migrating from {generation.isolation} to {to}: "
                f"{count_of(len(ordered), 'old resource')} kept, {RETIRE_PENDING}",
                detail=(
                    "phase 1 (create the new resources) "
                    + (
                        "is done and they are Succeeded; phase 2: `tenantctl export routing` now routes to them"
                        if ready
                        else "is not done yet: the routing export keeps the old route"
                    )
                    + f"; phase 3: {step}. Kept: "
                    + ", ".join(sorted(str(_old_address(generation, r)) for r in ordered))
                ),
                tenant=tenant_id,
            )
    return out
