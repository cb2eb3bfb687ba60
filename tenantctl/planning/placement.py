"""Placement: which stamp account hosts each dedicated-deployment tenant (deterministic, sticky).

Rules, applied per stamp with tenants in sorted order so the same manifest and observed state
always give the same answer:

1. Sticky: a tenant whose deployments (tagged ``tenantctl-tenant=<id>``) already live on one of the
   stamp's accounts stays there, even if that account is now over its limit (moving a tenant is
   a replacement of its deployments, which placement must never cause silently).
2. Otherwise the first account by index with room: the stamp's shared deployments, the tenants
   already placed there and any other deployment observed on it (unmanaged ones count: Azure's
   32-per-account limit does not care who made them) plus the tenant's own must fit in
   ``max_deployments_per_account``.
3. When no account has room the stamp grows by one account, up to ``max_accounts``; beyond that the
   tenant is not placed and an error diagnostic says why.

Shared tenants are not placed here: they live on the account their ``stamp_account`` pin names
(:mod:`tenantctl.manifest.shared_accounts`), and every account keeps room for the stamp's shared
deployments so that a shared tenant can always be pinned to it.

Quota headroom does not enter the choice: quota is per subscription x region x model, and all of a
stamp's accounts share one subscription and region, so every account has the same headroom.  The
quota ledger checks it once for the whole plan.  Which subscription that is, with a pool, is
:mod:`tenantctl.planning.pool_placement`'s answer (a stamp without accounts yet has none observed).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from tenantctl import naming
from tenantctl.desired import DesiredState, PlacementHints, desired_state
from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.manifest.shared_accounts import shared_deployments_by_account
from tenantctl.observation import ObservedState
from tenantctl.planning.pool_placement import AccountHome, place_in_pool, settled_stamp_homes
from tenantctl.planning.successors import resolve_successors
from tenantctl.resources import Deployment

__all__ = ["Placement", "place", "placed_desired_state"]


def _owner(deployment: Deployment, manifest_name: str) -> str | None:
    """The tenant of this manifest a deployment belongs to (another manifest's same-named tenant is not it)."""
    if (
        deployment.tags.get(naming.TAG_MANAGED_BY) != naming.MANAGED_BY_VALUE
        or deployment.tags.get(naming.TAG_MANIFEST) != manifest_name
    ):
        return None
    return deployment.tags.get(naming.TAG_TENANT)


@dataclass(frozen=True)
class Placement:
    hints: PlacementHints
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    sticky: frozenset[str] = frozenset()  # tenants kept where they already were


def _stamp_accounts(
    manifest: Manifest, observed: ObservedState, stamp_id: str, home: AccountHome | None
) -> dict[int, list[Deployment]]:
    """Observed accounts of a stamp in its ``home``: index -> the deployments on it."""
    if home is None:
        return {}  # a stamp the pool places anew has no account yet
    prefix = naming.stamp_account_name(manifest.provider.name_prefix, stamp_id, 0)[:-2]
    pattern = re.compile(re.escape(prefix) + r"(\d{2,})", re.IGNORECASE)
    sub, rg = home[0].lower(), home[1].lower()
    found: dict[int, list[Deployment]] = {}
    for key, account in observed.accounts.items():
        match = pattern.fullmatch(account.ref.name)
        if (
            match is None
            or account.tags.get(naming.TAG_STAMP) != stamp_id
            or (account.ref.subscription_id.lower(), account.ref.resource_group.lower()) != (sub, rg)
        ):
            continue
        found[int(match[1])] = list(observed.deployments.get(key, ()))
    return found


def place(manifest: Manifest, observed: ObservedState) -> Placement:
    """Place every dedicated-deployment tenant of ``manifest`` (all of them, whatever is planned)."""
    diags = Diagnostics()
    tenant_account: dict[str, int] = {}
    stamp_accounts: dict[str, int] = {}
    sticky: set[str] = set()
    settled = settled_stamp_homes(manifest, observed.accounts)
    for stamp_id in sorted(manifest.stamps):
        stamp = manifest.stamps[stamp_id]
        shared = {d.name for d in stamp.deployments}
        existing = _stamp_accounts(manifest, observed, stamp_id, settled.get(stamp_id))
        tenants = sorted(
            t
            for t in manifest.stamp_tenants.get(stamp_id, ())
            if manifest.tenants[t].isolation is Isolation.DEDICATED_DEPLOYMENT
        )
        wanted = {
            t: {naming.tenant_deployment_name(t, d.name) for d in manifest.tenants[t].deployments} for t in tenants
        }
        # Base load of each account: shared deployments + anything observed that no placed tenant owns
        # (unmanaged deployments, removed tenants' leftovers until pruned).
        placed = set(tenants)
        load: dict[int, set[str]] = {
            i: shared | {d.name for d in deps if _owner(d, manifest.provider.manifest_name) not in placed}
            for i, deps in existing.items()
        }
        homes_of: dict[str, set[int]] = {}
        for i, deps in existing.items():
            for d in deps:
                owner = _owner(d, manifest.provider.manifest_name)
                if owner is not None:
                    homes_of.setdefault(owner, set()).add(i)
        for tenant in tenants:  # sticky first, so newcomers see the true load
            homes = sorted(homes_of.get(tenant, ()))
            if homes:
                tenant_account[tenant] = homes[0]
                load[homes[0]] |= wanted[tenant]
                sticky.add(tenant)
        # Accounts shared tenants are pinned to exist too (desired state creates them).
        count = max([1, *existing, *shared_deployments_by_account(manifest, stamp_id)])
        load.setdefault(1, set(shared))
        for tenant in tenants:
            if tenant in tenant_account:
                continue
            need = wanted[tenant]
            index = next(
                (
                    i
                    for i in range(1, count + 1)
                    if len(load.setdefault(i, set(shared)) | need) <= stamp.max_deployments_per_account
                ),
                None,
            )
            if index is None and count < stamp.max_accounts and len(shared | need) <= stamp.max_deployments_per_account:
                count += 1
                index = count
                load[index] = set(shared)
            if index is None:
                diags.error(
                    "stamp-full",
                    f"tenant {tenant!r} does not fit on stamp {stamp_id!r}",
                    detail=(
                        f"all {count} accounts hold {stamp.max_deployments_per_account} deployments or would exceed "
                        f"it with the tenant's {len(need)}, and the stamp may not grow beyond max_accounts="
                        f"{stamp.max_accounts}; raise stamps.{stamp_id}.max_accounts or move the tenant "
                        "to another stamp"
                    ),
                    path=f"tenants.{tenant}.stamp",
                    tenant=tenant,
                )
                continue
            tenant_account[tenant] = index
            load[index] |= need
        stamp_accounts[stamp_id] = count
    return Placement(PlacementHints(tenant_account, stamp_accounts), diags, frozenset(sticky))


def placed_desired_state(manifest: Manifest, observed: ObservedState) -> tuple[DesiredState, Placement]:
    """Place, then the desired state that placement implies: what the plan and the routing export share.

    One composition for both, so the gateway's routes always name the accounts the plan creates.
    """
    placement = place(manifest, observed)
    pool = place_in_pool(manifest, observed, placement.hints.stamp_accounts)
    hints = dataclasses.replace(
        placement.hints, tenant_home=pool.homes, tenant_subdomain=pool.subdomains, stamp_home=pool.stamp_homes
    )
    placement = Placement(hints, Diagnostics([*placement.diagnostics, *pool.diagnostics]), placement.sticky)
    # A deployment whose model or SKU changed keeps its observed successor's name (successors.py).
    return resolve_successors(manifest, desired_state(manifest, placement_hints=hints), observed).desired, placement
