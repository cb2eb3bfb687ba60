"""Which stamp account each shared tenant lives on, and the budgets each account carries (pure).

A shared tenant owns nothing in Azure, so Azure cannot say where it lives: the assignment is the
tenant's ``stamp_account`` pin in the manifest, and a tenant without a pin lives on the stamp's
:data:`BASE_ACCOUNT` (where every shared tenant lived before pins existed, so old manifests keep
their routes).  ``tenant add`` writes the pin, chosen by :func:`choose_shared_account`; nothing
else ever changes it, so adding or removing a tenant never moves another one.  Why a pin and not
a tag: see ``docs/architecture.md`` ("Where a shared tenant lives").

Every surface asks this module: the desired state (which shared deployments a stamp account
carries), the routing export, ``quota``, ``inspect`` and the budget checks of ``validate`` and
``plan``.  One answer, so they cannot disagree.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from tenantctl.manifest.model import PROVISIONED_SKUS, DeploymentSpec, Isolation, Manifest

__all__ = [
    "BASE_ACCOUNT",
    "AccountOverflow",
    "account_loads",
    "budget_limit",
    "budget_overflows",
    "choose_shared_account",
    "covered_deployments",
    "pin_for_added_tenant",
    "shared_account",
    "shared_deployments_by_account",
    "shared_tenants",
]

# The stamp's first account always carries every shared deployment: unpinned shared tenants live
# there, and dedicated-deployment tenants whose own deployments are not live yet fall back to it.
BASE_ACCOUNT = 1


@dataclass(frozen=True)
class AccountOverflow:
    """Shared budgets on one deployment of one stamp account above capacity x overcommit."""

    stamp: str
    account: int
    deployment: str
    total_tpm: int
    limit_tpm: int
    tenants: tuple[tuple[str, int], ...]  # (tenant, tpm), largest first


def shared_tenants(manifest: Manifest, stamp_id: str) -> list[str]:
    """The shared tenants of a stamp with a budget, sorted."""
    tenants = manifest.tenants
    return sorted(
        t
        for t in manifest.stamp_tenants.get(stamp_id, ())
        if tenants[t].isolation is Isolation.SHARED and (tenants[t].tpm or 0) > 0
    )


def shared_account(manifest: Manifest, tenant_id: str) -> int:
    """The stamp account (index from 1) a shared tenant lives on: its pin, else :data:`BASE_ACCOUNT`."""
    return manifest.tenants[tenant_id].stamp_account or BASE_ACCOUNT


def covered_deployments(manifest: Manifest, tenant_id: str) -> tuple[str, ...]:
    """The stamp's shared deployments a shared tenant's budget covers (all of them unless listed)."""
    tenant = manifest.tenants[tenant_id]
    stamp = manifest.stamps.get(tenant.stamp or "")
    return tenant.shared_deployments or (tuple(d.name for d in stamp.deployments) if stamp else ())


def shared_deployments_by_account(manifest: Manifest, stamp_id: str) -> dict[int, set[str]]:
    """Per account index, the shared deployments it must carry: all on the base account, elsewhere
    only those its assigned tenants' budgets cover (a copy nobody uses would hold quota for nothing)."""
    names = {d.name for d in manifest.stamps[stamp_id].deployments}
    needed: dict[int, set[str]] = {BASE_ACCOUNT: set(names)}
    for tenant_id in shared_tenants(manifest, stamp_id):
        covered = set(covered_deployments(manifest, tenant_id)) & names
        needed.setdefault(shared_account(manifest, tenant_id), set()).update(covered)
    return needed


def budget_limit(manifest: Manifest, stamp_id: str, spec: DeploymentSpec) -> int | None:
    """TPM of budgets one account's copy of ``spec`` carries (capacity x 1,000 x overcommit), or None
    where budgets cannot be checked (provisioned and batch SKUs are not measured in TPM)."""
    if spec.capacity is None or spec.capacity <= 0 or spec.sku is None:
        return None  # an incomplete or invalid capacity is the capacity checks' finding, not a budget one
    if spec.sku in PROVISIONED_SKUS or spec.sku.endswith("Batch"):
        return None
    return math.floor(spec.capacity * 1000 * manifest.stamps[stamp_id].overcommit)


def account_loads(manifest: Manifest, stamp_id: str) -> dict[int, dict[str, dict[str, int]]]:
    """Per account, per shared deployment: the budgets (tenant -> tpm) of the tenants assigned there."""
    loads: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for tenant_id in shared_tenants(manifest, stamp_id):
        tpm = manifest.tenants[tenant_id].tpm or 0
        for name in covered_deployments(manifest, tenant_id):
            loads[shared_account(manifest, tenant_id)][name][tenant_id] = tpm
    return loads


def budget_overflows(manifest: Manifest, stamp_id: str) -> list[AccountOverflow]:
    """Every (account, deployment) of the stamp whose shared budgets exceed capacity x overcommit.

    Within capacity x overcommit there is no finding: that is what the stamp declares on purpose.
    """
    specs = {d.name: d for d in manifest.stamps[stamp_id].deployments}
    found = []
    for account, per_name in sorted(account_loads(manifest, stamp_id).items()):
        for name, users in sorted(per_name.items()):
            spec = specs.get(name)
            limit = budget_limit(manifest, stamp_id, spec) if spec is not None else None
            total = sum(users.values())
            if limit is not None and total > limit:
                biggest = tuple(sorted(users.items(), key=lambda item: (-item[1], item[0])))
                found.append(AccountOverflow(stamp_id, account, name, total, limit, biggest))
    return found


def choose_shared_account(manifest: Manifest, stamp_id: str, tpm: int, deployments: tuple[str, ...] = ()) -> int:
    """The account a NEW shared tenant of ``stamp_id`` should be pinned to (``tenant add``).

    Balanced by budget among the accounts already carrying shared tenants (the base account always
    does): the one with the least budget on the tenant's deployments where the tenant still fits in
    capacity x overcommit.  Only when none has room does the next account open its shared
    deployments (each opening takes the stamp's full shared capacity of quota, so it is the last
    resort), up to ``max_accounts``.  When even that is impossible the least-loaded account is
    chosen and the budget check reports the overflow.
    """
    stamp = manifest.stamps[stamp_id]
    specs = {d.name: d for d in stamp.deployments}
    names = deployments or tuple(specs)
    loads = account_loads(manifest, stamp_id)
    hosts = sorted({BASE_ACCOUNT, *loads})

    def load(account: int) -> int:
        return sum(sum(loads.get(account, {}).get(n, {}).values()) for n in names)

    def fits(account: int) -> bool:
        for n in names:
            limit = budget_limit(manifest, stamp_id, specs[n]) if n in specs else None
            if limit is not None and sum(loads.get(account, {}).get(n, {}).values()) + tpm > limit:
                return False
        return True

    roomy = [a for a in hosts if fits(a)]
    if roomy:
        return min(roomy, key=lambda a: (load(a), a))
    fresh = next((a for a in range(1, stamp.max_accounts + 1) if a not in hosts), None)
    if fresh is not None:
        return fresh
    return min(hosts, key=lambda a: (load(a), a))


def pin_for_added_tenant(
    text: str, tenant_id: str, stamp_id: str, tpm: int, deployments: tuple[str, ...] = ()
) -> int | None:
    """The ``stamp_account`` ``tenant add`` writes for a new shared tenant, chosen from manifest ``text``.

    None when the current manifest does not load or lacks the stamp (the edit's own validation says
    why).  A tenant already in the manifest keeps its pin, so the same ``tenant add`` twice stays a
    no-op instead of a conflict about a pin the first run chose.
    """
    from tenantctl.manifest.load import parse_manifest  # load checks with this module: import late

    manifest = parse_manifest(text).manifest
    if manifest is None or stamp_id not in manifest.stamps:
        return None
    existing = manifest.tenants.get(tenant_id)
    if existing is not None:
        return existing.stamp_account
    return choose_shared_account(manifest, stamp_id, tpm, deployments)
