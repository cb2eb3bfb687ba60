"""Rules of the subscription pool (``[[provider.pool]]``) and of tenants pinned to one of its members.

Placement itself needs what Azure has (:mod:`tenantctl.planning.pool_placement`); what can be told
from the manifest alone is told here, at validate time: a subscription listed twice, a pin to a
subscription outside the pool or in a region the member does not allow (a tenant's or a stamp's), a
region no member allows, and a pool that cannot hold the manifest's dedicated tenants even when empty.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from tenantctl import naming
from tenantctl.manifest.capacity import MAX_ACCOUNTS_PER_REGION
from tenantctl.manifest.model import Isolation, Manifest, PoolSubscription
from tenantctl.manifest.report import Reporter
from tenantctl.resources import Account

__all__ = [
    "allows_region",
    "candidate_regions",
    "check_pool",
    "legacy_stamp_group",
    "pool_groups",
    "stamp_group_in",
    "stamp_groups",
    "stamp_regions_to_place",
]


def allows_region(member: PoolSubscription, location: str) -> bool:
    """Whether the pool member may host accounts in ``location`` (no ``regions``: any)."""
    return not member.regions or location.lower() in {r.lower() for r in member.regions}


def candidate_regions(manifest: Manifest, tenant_id: str) -> list[tuple[str, str]]:
    """Where a dedicated tenant may be placed: (its pin, or every member allowing its region, region)."""
    tenant = manifest.tenants[tenant_id]
    location = manifest.tenant_location(tenant_id)
    pin = (tenant.subscription_id or "").lower()
    return [
        (m.subscription_id, location)
        for m in manifest.subscription_pool()
        if allows_region(m, location) and (not pin or pin == m.subscription_id.lower())
    ]


def pool_groups(manifest: Manifest, tenant_id: str) -> list[tuple[str, str]]:
    """The (subscription, resource group) pairs a dedicated tenant's account may be in: its pin's first."""
    pin = (manifest.tenants[tenant_id].subscription_id or "").lower()
    members = sorted(manifest.subscription_pool(), key=lambda m: m.subscription_id.lower() != pin)
    return list(dict.fromkeys((m.subscription_id, manifest.pool_resource_group(m)) for m in members))


def legacy_stamp_group(manifest: Manifest, stamp_id: str) -> tuple[str, str]:
    """Where a stamp lived before pools placed stamps: its ``subscription_id``, else the provider's."""
    return (manifest.stamp_subscription(stamp_id), manifest.stamp_resource_group(stamp_id))


def stamp_group_in(manifest: Manifest, stamp_id: str, member: PoolSubscription) -> tuple[str, str]:
    """The group a stamp's accounts get in pool member ``member``: the stamp's own, else the member's."""
    return (member.subscription_id, manifest.stamps[stamp_id].resource_group or manifest.pool_resource_group(member))


def stamp_groups(manifest: Manifest, stamp_id: str) -> list[tuple[str, str]]:
    """The (subscription, resource group) pairs a stamp's accounts may be in, the likeliest first.

    Without a pool: its one home.  With a pool: its pin's group, else where it lived before pools placed
    stamps (existing stamps stay there) and every member allowing its region (see
    :mod:`tenantctl.planning.pool_placement` for which one a plan chooses).
    """
    legacy = legacy_stamp_group(manifest, stamp_id)
    if not manifest.provider.pool:
        return [legacy]
    stamp = manifest.stamps[stamp_id]
    pin = (stamp.subscription_id or "").lower()
    members = [
        stamp_group_in(manifest, stamp_id, m)
        for m in manifest.provider.pool
        if allows_region(m, stamp.location) and (not pin or pin == m.subscription_id.lower())
    ]
    first = [g for g in members if g[0].lower() == pin] if pin else [legacy]
    return list(dict.fromkeys([*first, *([legacy] if pin else []), *members]))


def stamp_regions_to_place(manifest: Manifest, accounts: Mapping[str, Account]) -> set[tuple[str, str]]:
    """(pool subscription, region) pairs where a stamp without accounts may be placed (its pin, or any member)."""
    if not manifest.provider.pool:
        return set()
    have = {a.tags.get(naming.TAG_STAMP) for a in accounts.values()}
    return {
        (sub, manifest.stamps[s].location)
        for s in manifest.stamps
        if s not in have
        for sub, _ in stamp_groups(manifest, s)
    }


def _check_stamp_pins(manifest: Manifest, report: Reporter) -> None:
    """With a pool, a stamp's ``subscription_id`` pins it to a member: it must name one allowing its region."""
    by_id = {m.subscription_id.lower(): m for m in manifest.provider.pool}
    for stamp_id, stamp in manifest.stamps.items():
        pin = stamp.subscription_id
        if pin is None:
            continue
        member = by_id.get(pin.lower())
        if member is None:
            report.error(
                "unknown-subscription",
                f"stamp {stamp_id!r} is pinned to subscription {pin}, which is not in the provider's subscription pool",
                ("stamps", stamp_id, "subscription_id"),
                detail=f"Pool: {', '.join(m.subscription_id for m in manifest.provider.pool)}. Add it to "
                "[[provider.pool]], pin another member, or leave subscription_id out to let the pool place it.",
            )
        elif not allows_region(member, stamp.location):
            report.error(
                "invalid-value",
                f"stamp {stamp_id!r} is pinned to subscription {pin}, which does not allow region {stamp.location}",
                ("stamps", stamp_id, "subscription_id"),
                detail=f"Its regions: {', '.join(member.regions)}.",
            )


def check_pool(manifest: Manifest, report: Reporter) -> None:
    pool = manifest.provider.pool
    if pool:
        _check_stamp_pins(manifest, report)
    ids = Counter(m.subscription_id.lower() for m in pool)
    for index, entry in enumerate(pool):
        if ids[entry.subscription_id.lower()] > 1:
            report.error(
                "duplicate",
                f"subscription {entry.subscription_id} is listed more than once in the pool",
                ("provider", "pool", index, "subscription_id"),
            )
    by_id = {m.subscription_id.lower(): m for m in pool}
    needed: Counter[str] = Counter()
    for tenant_id, tenant in manifest.tenants.items():
        if tenant.isolation is not Isolation.DEDICATED:
            continue
        location = manifest.tenant_location(tenant_id)
        needed[location.lower()] += 1
        pin = tenant.subscription_id
        if pin is None:
            continue
        member = by_id.get(pin.lower()) if pool else None
        if member is None and (pool or pin.lower() != manifest.provider.subscription_id.lower()):
            listed = ", ".join(m.subscription_id for m in pool) or manifest.provider.subscription_id
            report.error(
                "unknown-subscription",
                f"subscription {pin} is not in the provider's subscription pool",
                ("tenants", tenant_id, "subscription_id"),
                detail=f"Pool: {listed}. Add it to [[provider.pool]] or pin another one.",
            )
        elif member is not None and not allows_region(member, location):
            report.error(
                "invalid-value",
                f"subscription {pin} does not allow region {location}",
                ("tenants", tenant_id, "subscription_id"),
                detail=f"Its regions: {', '.join(member.regions)}.",
            )
    if not pool:
        return
    for location, count in sorted(needed.items()):
        allowed = [m for m in pool if allows_region(m, location)]
        room = sum(min(m.max_accounts or MAX_ACCOUNTS_PER_REGION, MAX_ACCOUNTS_PER_REGION) for m in allowed)
        if not allowed:
            report.error(
                "pool-full",
                f"no subscription of the pool allows region {location} ({count} dedicated tenant(s) there)",
                ("provider", "pool"),
                detail="Add the region to a member's regions, or add a subscription for it.",
            )
        elif count > room:
            report.error(
                "pool-full",
                f"the subscription pool is too small in region {location}: {count} accounts needed, "
                f"room for {room} across {len(allowed)} subscription(s) when empty",
                ("provider", "pool"),
                detail="Add a subscription to [[provider.pool]] or raise max_accounts (Azure allows 30 per "
                "region per subscription).",
            )
