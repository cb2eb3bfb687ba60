"""Which subscription of the pool hosts each dedicated tenant's account (deterministic, sticky).

Azure allows 30 Azure OpenAI accounts per region per subscription, and quota is per subscription x
region x model x SKU, so a provider past a few dozen dedicated tenants needs several subscriptions
(``[[provider.pool]]``).  Rules, tenants in sorted order, so the same manifest and observed state
always give the same answer:

1. Sticky: a tenant whose account (tagged ``tenantctl-tenant=<id>`` by this manifest, with its
   dedicated name) already lives in a pool subscription stays there, whatever else was added or
   removed; moving it would be a new account with a new endpoint, which placement must never cause
   silently.  Only a pin (``tenants.<id>.subscription_id``) moves it (see :mod:`.pool_moves`).
2. A pinned tenant goes to its pinned subscription.
3. Otherwise, among the members that allow the tenant's region, have an account left there (Azure's
   limit of 30, or the member's smaller ``max_accounts``) and, where the usages were read, quota
   headroom for every deployment of the tenant: the one with the fewest accounts in the region per
   unit of ``weight`` (ties: pool order).  So equal weights spread tenants evenly and a full
   member spills into the next.
4. Nothing fits: an error naming the region, what is needed and the room left.

Accounts the pool already has in a region count whoever made them (Azure's limit does not care);
where observation read the region's ``OpenAI.S0.AccountCount`` usage it is the truth (it also sees
accounts in other resource groups), else the accounts listed in the member's group.
Without ``[[provider.pool]]`` every dedicated tenant lives in the provider's subscription, as always.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from tenantctl import naming
from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.model import Isolation, Manifest, PoolSubscription
from tenantctl.manifest.pool import allows_region
from tenantctl.observation import ObservedState
from tenantctl.planning.quota import ACCOUNT_USAGE, ACCOUNTS_PER_REGION
from tenantctl.resources import Account

__all__ = ["AccountHome", "PoolPlacement", "dedicated_homes", "observed_homes", "place_in_pool"]

AccountHome = tuple[str, str]  # (subscription id, resource group)
_RegionKey = tuple[str, str]  # (lower-cased subscription id, lower-cased location)


@dataclass(frozen=True)
class PoolPlacement:
    homes: Mapping[str, AccountHome] = field(default_factory=dict)  # tenant -> where its account lives
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    sticky: frozenset[str] = frozenset()
    moves: Mapping[str, AccountHome] = field(default_factory=dict)  # pinned tenant -> where it lives now
    subdomains: Mapping[str, str] = field(default_factory=dict)  # tenant -> subdomain, when not its name


def dedicated_homes(manifest: Manifest, accounts: Mapping[str, Account]) -> dict[str, list[Account]]:
    """This manifest's dedicated accounts by tenant (tag and name must both say so), sorted by key."""
    prefix = manifest.provider.name_prefix
    found: dict[str, list[Account]] = {}
    for _, account in sorted(accounts.items()):
        tags = account.tags
        tenant = tags.get(naming.TAG_TENANT)
        if (
            tenant is None
            or tags.get(naming.TAG_MANIFEST) != manifest.provider.manifest_name
            or tags.get(naming.TAG_ISOLATION) != Isolation.DEDICATED.value
            or account.ref.name.lower() != naming.dedicated_account_name(prefix, tenant).lower()
        ):
            continue
        found.setdefault(tenant, []).append(account)
    return found


def observed_homes(manifest: Manifest, observed: ObservedState) -> dict[str, AccountHome]:
    """Where each dedicated tenant's account lives now (the first by key when Azure has several)."""
    return {
        tenant: (accounts[0].ref.subscription_id, accounts[0].ref.resource_group)
        for tenant, accounts in dedicated_homes(manifest, observed.accounts).items()
    }


class _Room:
    """Accounts and quota left per pool member and region, as placement hands them out."""

    def __init__(self, manifest: Manifest, observed: ObservedState, new_stamp_accounts: Mapping[_RegionKey, int]):
        self.manifest = manifest
        self.observed = observed
        self.used: dict[_RegionKey, int] = defaultdict(int)
        self.limit: dict[_RegionKey, int] = {}
        self.quota_taken: dict[tuple[str, str, str], float] = defaultdict(float)
        listed: dict[_RegionKey, int] = defaultdict(int)
        for account in (*observed.accounts.values(), *observed.foreign_accounts.values()):
            listed[(account.ref.subscription_id.lower(), account.location.lower())] += 1
        for (sub, loc), usages in observed.usages.items():
            for usage in usages:
                if usage.usage_name.lower() == ACCOUNT_USAGE.lower():
                    key = (sub.lower(), loc.lower())
                    listed[key] = max(listed[key], int(usage.current))
                    self.limit[key] = int(usage.limit)
        for key, count in listed.items():
            self.used[key] += count
        for key, count in new_stamp_accounts.items():
            self.used[key] += count

    def accounts_left(self, member: PoolSubscription, location: str) -> int:
        key = (member.subscription_id.lower(), location.lower())
        cap = min(member.max_accounts or ACCOUNTS_PER_REGION, self.limit.get(key, ACCOUNTS_PER_REGION))
        return max(0, cap - self.used[key])

    def _quota_need(self, tenant_id: str, member: PoolSubscription, location: str) -> dict[str, float]:
        offers = _in_region(self.observed.models, member.subscription_id, location)
        need: dict[str, float] = defaultdict(float)
        for spec in self.manifest.resolved_deployments(tenant_id):
            want = (spec.model.lower(), spec.version.lower(), spec.sku.lower())
            offer = next((o for o in offers if (o.model.lower(), o.version.lower(), o.sku.lower()) == want), None)
            name = offer.usage_name if offer else f"OpenAI.{spec.sku}.{spec.model}"
            need[name.lower()] += spec.capacity
        return need

    def quota_short(self, tenant_id: str, member: PoolSubscription, location: str) -> str | None:
        """The first quota line the tenant does not fit in (None: fits, or the usages were not read)."""
        usages = {u.usage_name.lower(): u for u in _in_region(self.observed.usages, member.subscription_id, location)}
        for name, amount in sorted(self._quota_need(tenant_id, member, location).items()):
            usage = usages.get(name)
            if usage is None:
                continue
            taken = self.quota_taken[(member.subscription_id.lower(), location.lower(), name)]
            if usage.limit - usage.current - taken < amount:
                return usage.usage_name
        return None

    def take(self, tenant_id: str, member: PoolSubscription, location: str, *, new: bool) -> None:
        if new:
            self.used[(member.subscription_id.lower(), location.lower())] += 1
            for name, amount in self._quota_need(tenant_id, member, location).items():
                self.quota_taken[(member.subscription_id.lower(), location.lower(), name)] += amount


T = TypeVar("T")


def _in_region(by_region: Mapping[tuple[str, str], tuple[T, ...]], subscription: str, location: str) -> tuple[T, ...]:
    """What was read for one (subscription, region), matching case-insensitively (ARM ids are)."""
    exact = by_region.get((subscription, location))
    if exact is not None:
        return exact
    wanted = (subscription.lower(), location.lower())
    return next((v for k, v in by_region.items() if (k[0].lower(), k[1].lower()) == wanted), ())


def _new_stamp_accounts(
    manifest: Manifest, observed: ObservedState, stamp_accounts: Mapping[str, int]
) -> dict[_RegionKey, int]:
    """Stamp accounts placement adds (not observed yet): they take room in their subscription and region."""
    counts: dict[_RegionKey, int] = defaultdict(int)
    for stamp_id, wanted in stamp_accounts.items():
        stamp = manifest.stamps.get(stamp_id)
        if stamp is None:
            continue
        have = sum(1 for a in observed.accounts.values() if a.tags.get(naming.TAG_STAMP) == stamp_id)
        counts[(manifest.stamp_subscription(stamp_id).lower(), stamp.location.lower())] += max(0, wanted - have)
    return counts


def place_in_pool(
    manifest: Manifest, observed: ObservedState, stamp_accounts: Mapping[str, int] | None = None
) -> PoolPlacement:
    """Place every dedicated tenant of ``manifest`` in a pool subscription (see the module docstring)."""
    p = manifest.provider
    tenants = sorted(t for t, spec in manifest.tenants.items() if spec.isolation is Isolation.DEDICATED)
    if not p.pool:
        return PoolPlacement({t: (p.subscription_id, p.resource_group) for t in tenants})
    pool = manifest.subscription_pool()
    by_id = {m.subscription_id.lower(): m for m in pool}
    diags = Diagnostics()
    room = _Room(manifest, observed, _new_stamp_accounts(manifest, observed, stamp_accounts or {}))
    now = observed_homes(manifest, observed)
    homes: dict[str, AccountHome] = {}
    sticky: set[str] = set()
    moves: dict[str, AccountHome] = {}
    outside: dict[str, list[str]] = {}  # a subscription left the pool while hosting these tenants
    for tenant in tenants:  # sticky first, so newcomers see the true room
        where = now.get(tenant)
        pin = manifest.tenants[tenant].subscription_id
        if where is None:
            continue
        if where[0].lower() not in by_id:
            outside.setdefault(where[0].lower(), []).append(tenant)
            continue
        if pin is not None and pin.lower() != where[0].lower():
            moves[tenant] = where
            continue
        homes[tenant] = where
        sticky.add(tenant)
    unplaced: dict[str, list[str]] = {}
    room_before = {
        loc: sum(room.accounts_left(m, loc) for m in pool if allows_region(m, loc))
        for loc in {manifest.tenant_location(t).lower() for t in tenants}
    }
    # Weighted balance counts the accounts each member holds in the region, whoever made them.
    for sub, stranded in sorted(outside.items()):
        diags.error(
            "pool-subscription-in-use",
            f"subscription {sub} is not in the pool but hosts {len(stranded)} dedicated tenant(s): "
            + ", ".join(stranded),
            detail="Put it back in [[provider.pool]] until its tenants have moved (pin each to another "
            "subscription, apply, apply --retire); they are not placed elsewhere meanwhile.",
            path="provider.pool",
        )
    placed_outside = {t for stranded in outside.values() for t in stranded}
    for tenant in tenants:
        if tenant in homes or tenant in placed_outside:
            continue
        location = manifest.tenant_location(tenant)
        pin = manifest.tenants[tenant].subscription_id
        candidates = [by_id[pin.lower()]] if pin is not None and pin.lower() in by_id else list(pool)
        fitting = [
            (index, m)
            for index, m in enumerate(candidates)
            if allows_region(m, location)
            and room.accounts_left(m, location) > 0
            and room.quota_short(tenant, m, location) is None
        ]
        if not fitting:
            unplaced.setdefault(location.lower(), []).append(tenant)
            continue
        _, member = min(
            fitting,
            key=lambda pair: (room.used[(pair[1].subscription_id.lower(), location.lower())] / pair[1].weight, pair[0]),
        )
        room.take(tenant, member, location, new=True)
        homes[tenant] = (member.subscription_id, manifest.pool_resource_group(member))
    for location, waiting in sorted(unplaced.items()):
        _report_full(manifest, diags, room, location, waiting=waiting, room_before=room_before[location])
    return PoolPlacement(homes, diags, frozenset(sticky), moves, _subdomains(manifest, observed, homes))


def _subdomains(manifest: Manifest, observed: ObservedState, homes: Mapping[str, AccountHome]) -> dict[str, str]:
    """Subdomains that are not the account's name: kept where Azure has them, fresh for a moving tenant.

    Subdomains are global DNS names, so while a moving tenant's old account lives (make-before-break)
    the new one takes the first free ``<name>-<n>``; once created, whatever Azure has is kept (a
    subdomain cannot change without replacing the account).
    """
    held = {
        (a.custom_subdomain or a.ref.name).lower()
        for a in (*observed.accounts.values(), *observed.foreign_accounts.values())
    }
    found = dedicated_homes(manifest, observed.accounts)
    out: dict[str, str] = {}
    for tenant, (sub, rg) in homes.items():
        name = naming.dedicated_account_name(manifest.provider.name_prefix, tenant)
        default = naming.custom_subdomain(name)
        accounts = found.get(tenant, [])
        here = next(
            (
                a
                for a in accounts
                if (a.ref.subscription_id.lower(), a.ref.resource_group.lower()) == (sub.lower(), rg.lower())
            ),
            None,
        )
        if here is not None:
            if here.custom_subdomain and here.custom_subdomain.lower() != default:
                out[tenant] = here.custom_subdomain
        elif accounts and default in held:  # moving: the old account holds the name's subdomain
            out[tenant] = next(f"{default}-{n}" for n in range(2, 100) if f"{default}-{n}" not in held)
    return out


def _report_full(
    manifest: Manifest, diags: Diagnostics, room: _Room, location: str, *, waiting: list[str], room_before: int
) -> None:
    """One error per region: the region, how many accounts it needs, the room the pool had left."""
    allowed = [m for m in manifest.subscription_pool() if allows_region(m, location)]
    needed = room_before - sum(room.accounts_left(m, location) for m in allowed) + len(waiting)
    shorts = sorted(
        {f"{m.subscription_id} ({q})" for m in allowed if (q := room.quota_short(waiting[0], m, location)) is not None}
    )
    named = ", ".join(waiting[:5]) + (f" and {len(waiting) - 5} more" if len(waiting) > 5 else "")
    if not allowed:
        summary = f"no subscription of the pool allows region {location} ({len(waiting)} dedicated tenant(s))"
    else:
        summary = (
            f"the subscription pool is too small in region {location}: {needed} new account(s) needed, "
            f"room left for {room_before} across {len(allowed)} subscription(s)"
        )
    diags.error(
        "pool-full",
        summary,
        detail=f"Not placed: {named}."
        + (f" Quota short in {'; '.join(shorts)}." if shorts else "")
        + " Add a subscription (or the region) to [[provider.pool]], raise max_accounts or the quota, "
        "or choose another region.",
        path="provider.pool",
        tenant=waiting[0] if len(waiting) == 1 else None,
    )
