"""Which subscription of the pool hosts each dedicated tenant's account and each stamp (deterministic, sticky).

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

Stamps (their shared accounts, carrying shared and dedicated-deployment tenants) are placed by the
same rules and the same room, as a whole: every account of a stamp lives in one subscription and
group.  Shared tenants are pinned to an account *index* and dedicated-deployment placement treats a
stamp's accounts as having one quota headroom, so a stamp split across subscriptions would make a
tenant's route and quota depend on which index it drew.  For a stamp:

1. Without a pool nothing changes: ``stamps.<id>.subscription_id``, else the provider's subscription.
2. Sticky: a stamp whose accounts (tagged ``tenantctl-stamp=<id>`` by this manifest, with the stamp's
   account names) already exist stays in their subscription and group, in the pool or not (a stamp
   made before the pool lives in the provider's subscription and stays there).  Moving a stamp moves
   every tenant on it to new endpoints, so placement never does it.
3. A pinned stamp (``stamps.<id>.subscription_id``, a pool member) lives in its pin, if it has room
   (rule 4 with the pin as the only member); where its accounts still live elsewhere the plan creates
   them anew in the pin, with a ``stamp-move`` warning.
4. Otherwise the member with the fewest accounts in the stamp's region per unit of weight among those
   that allow the region and have room for all the accounts the stamp needs now and quota for the
   deployments it carries (its shared deployments on each account that carries them, and its
   dedicated-deployment tenants' own).  Nothing fits: a ``pool-full`` error naming the stamp.

Order.  Stamps and dedicated tenants compete for the same 30 accounts per region per subscription,
so the order decides who gets the last slots.  Stamps are placed first (sorted by id), then the
dedicated tenants (sorted by id): a stamp needs several accounts in ONE member and strands every
tenant on it when it does not fit, while a dedicated tenant needs one account anywhere; placing the
bigger, less divisible units first is what keeps the pool from being fragmented into members that
each have a slot or two left, and it keeps a stamp's home independent of how many dedicated tenants
the manifest lists.  Sticky stamps and tenants are counted before any choice, so newcomers see the
true room.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from tenantctl import naming
from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.model import Isolation, Manifest, PoolSubscription, ResolvedDeployment
from tenantctl.manifest.pool import allows_region, legacy_stamp_group, stamp_group_in
from tenantctl.manifest.shared_accounts import shared_deployments_by_account
from tenantctl.observation import ObservedState
from tenantctl.planning.quota import ACCOUNT_USAGE, ACCOUNTS_PER_REGION
from tenantctl.resources import Account

__all__ = [
    "AccountHome",
    "PoolPlacement",
    "dedicated_homes",
    "observed_homes",
    "observed_stamp_accounts",
    "place_in_pool",
    "settled_stamp_homes",
]

AccountHome = tuple[str, str]  # (subscription id, resource group)
_RegionKey = tuple[str, str]  # (lower-cased subscription id, lower-cased location)


@dataclass(frozen=True)
class PoolPlacement:
    homes: Mapping[str, AccountHome] = field(default_factory=dict)  # tenant -> where its account lives
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    sticky: frozenset[str] = frozenset()
    moves: Mapping[str, AccountHome] = field(default_factory=dict)  # pinned tenant -> where it lives now
    subdomains: Mapping[str, str] = field(default_factory=dict)  # tenant -> subdomain, when not its name
    stamp_homes: Mapping[str, AccountHome] = field(default_factory=dict)  # stamp -> where its accounts live


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


def observed_stamp_accounts(manifest: Manifest, accounts: Mapping[str, Account]) -> dict[str, dict[int, Account]]:
    """This manifest's stamp accounts by stamp and index (tag and name must both say so), of stamps it
    still declares or not (a removed stamp's accounts still occupy their subscription)."""
    prefix = manifest.provider.name_prefix
    found: dict[str, dict[int, Account]] = {}
    tagged = sorted((k, a) for k, a in accounts.items() if naming.TAG_STAMP in a.tags)  # few among many
    for _, account in tagged:
        stamp_id = account.tags.get(naming.TAG_STAMP)
        if stamp_id is None or account.tags.get(naming.TAG_MANIFEST) != manifest.provider.manifest_name:
            continue
        head = naming.stamp_account_name(prefix, stamp_id, 0)[:-2].lower()
        tail = account.ref.name.lower().removeprefix(head)
        if tail != account.ref.name.lower() and tail.isdigit() and len(tail) >= 2:
            found.setdefault(stamp_id, {}).setdefault(int(tail), account)
    return found


def settled_stamp_homes(manifest: Manifest, accounts: Mapping[str, Account]) -> dict[str, AccountHome]:
    """The stamps whose home needs no choice: all without a pool, else those whose accounts exist
    (in their pin, when pinned).  The others are placed by room (:func:`place_in_pool`)."""
    if not manifest.provider.pool:
        return {s: legacy_stamp_group(manifest, s) for s in manifest.stamps}
    found = observed_stamp_accounts(manifest, accounts)
    homes: dict[str, AccountHome] = {}
    for stamp_id, stamp in manifest.stamps.items():
        existing = found.get(stamp_id)
        if not existing:
            continue
        first = existing[min(existing)].ref
        if stamp.subscription_id is None or stamp.subscription_id.lower() == first.subscription_id.lower():
            homes[stamp_id] = (first.subscription_id, first.resource_group)
    return homes


class _Room:
    """Accounts and quota left per pool member and region, as placement hands them out."""

    def __init__(self, observed: ObservedState):
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

    def accounts_left(self, member: PoolSubscription, location: str) -> int:
        key = (member.subscription_id.lower(), location.lower())
        cap = min(member.max_accounts or ACCOUNTS_PER_REGION, self.limit.get(key, ACCOUNTS_PER_REGION))
        return max(0, cap - self.used[key])

    def _quota_need(
        self, deployments: tuple[ResolvedDeployment, ...], subscription: str, location: str
    ) -> dict[str, float]:
        offers = _in_region(self.observed.models, subscription, location)
        need: dict[str, float] = defaultdict(float)
        for spec in deployments:
            want = (spec.model.lower(), spec.version.lower(), spec.sku.lower())
            offer = next((o for o in offers if (o.model.lower(), o.version.lower(), o.sku.lower()) == want), None)
            name = offer.usage_name if offer else f"OpenAI.{spec.sku}.{spec.model}"
            need[name.lower()] += spec.capacity
        return need

    def quota_short(
        self, deployments: tuple[ResolvedDeployment, ...], member: PoolSubscription, location: str
    ) -> str | None:
        """The first quota line ``deployments`` do not fit in (None: they fit, or the usages were not read)."""
        usages = {u.usage_name.lower(): u for u in _in_region(self.observed.usages, member.subscription_id, location)}
        for name, amount in sorted(self._quota_need(deployments, member.subscription_id, location).items()):
            usage = usages.get(name)
            if usage is None:
                continue
            taken = self.quota_taken[(member.subscription_id.lower(), location.lower(), name)]
            if usage.limit - usage.current - taken < amount:
                return usage.usage_name
        return None

    def take(
        self, deployments: tuple[ResolvedDeployment, ...], subscription: str, location: str, *, accounts: int = 1
    ) -> None:
        """New accounts and the quota their deployments use, in ``subscription`` and ``location``."""
        self.used[(subscription.lower(), location.lower())] += accounts
        for name, amount in self._quota_need(deployments, subscription, location).items():
            self.quota_taken[(subscription.lower(), location.lower(), name)] += amount

    def least_loaded(self, fitting: list[PoolSubscription], location: str) -> PoolSubscription:
        """Fewest accounts in the region per unit of weight; ties: pool order (``fitting`` is in it)."""
        return min(
            enumerate(fitting),
            key=lambda pair: (self.used[(pair[1].subscription_id.lower(), location.lower())] / pair[1].weight, pair[0]),
        )[1]


T = TypeVar("T")


def _in_region(by_region: Mapping[tuple[str, str], tuple[T, ...]], subscription: str, location: str) -> tuple[T, ...]:
    """What was read for one (subscription, region), matching case-insensitively (ARM ids are)."""
    exact = by_region.get((subscription, location))
    if exact is not None:
        return exact
    wanted = (subscription.lower(), location.lower())
    return next((v for k, v in by_region.items() if (k[0].lower(), k[1].lower()) == wanted), ())


def _stamp_quota_need(manifest: Manifest, stamp_id: str) -> tuple[ResolvedDeployment, ...]:
    """What a stamp's deployments take of quota: each shared deployment once per account carrying it,
    and the own deployments of its dedicated-deployment tenants (wherever on the stamp they land)."""
    shared = {d.name: d for d in manifest.stamp_deployments(stamp_id)}
    need = [shared[n] for names in shared_deployments_by_account(manifest, stamp_id).values() for n in sorted(names)]
    for tenant_id, tenant in sorted(manifest.tenants.items()):
        if tenant.isolation is Isolation.DEDICATED_DEPLOYMENT and tenant.stamp == stamp_id:
            need.extend(manifest.resolved_deployments(tenant_id))
    return tuple(need)


def _place_stamps(
    manifest: Manifest, observed: ObservedState, room: _Room, stamp_accounts: Mapping[str, int], diags: Diagnostics
) -> dict[str, AccountHome]:
    """Every stamp's home (see the module docstring); the room they take is taken from ``room``."""
    homes = settled_stamp_homes(manifest, observed.accounts)
    found = observed_stamp_accounts(manifest, observed.accounts)
    for stamp_id, (sub, rg) in sorted(homes.items()):  # sticky first: a growing stamp takes room in its home
        stamp = manifest.stamps[stamp_id]
        here = sum(
            1
            for a in found.get(stamp_id, {}).values()
            if (a.ref.subscription_id.lower(), a.ref.resource_group.lower()) == (sub.lower(), rg.lower())
        )
        wanted = max(1, stamp_accounts.get(stamp_id, 1))
        room.take((), sub, stamp.location, accounts=max(0, wanted - here))
    pool = manifest.subscription_pool()
    by_id = {m.subscription_id.lower(): m for m in pool}
    for stamp_id in sorted(set(manifest.stamps) - set(homes)):
        stamp = manifest.stamps[stamp_id]
        pin = (stamp.subscription_id or "").lower()
        wanted = max(1, stamp_accounts.get(stamp_id, 1))
        need = _stamp_quota_need(manifest, stamp_id)
        allowed = [m for m in ([by_id[pin]] if pin in by_id else pool) if allows_region(m, stamp.location)]
        fitting = [
            m
            for m in allowed
            if room.accounts_left(m, stamp.location) >= wanted and room.quota_short(need, m, stamp.location) is None
        ]
        if not fitting:
            _report_stamp_full(diags, room, stamp_id, stamp.location, allowed=allowed, wanted=wanted, need=need)
            continue
        member = room.least_loaded(fitting, stamp.location)
        room.take(need, member.subscription_id, stamp.location, accounts=wanted)
        homes[stamp_id] = stamp_group_in(manifest, stamp_id, member)
        elsewhere = next(iter(found.get(stamp_id, {}).values()), None)
        if elsewhere is not None:  # only a pin moves a stamp
            diags.warning(
                "stamp-move",
                f"stamp {stamp_id!r} is pinned to subscription {member.subscription_id} but its accounts live in "
                f"{elsewhere.ref.subscription_id}: the plan creates them anew in the pin",
                detail="Every tenant on the stamp gets a new endpoint (export routing again after apply); the old "
                "accounts are pruned like any account the manifest no longer wants.",
                path=f"stamps.{stamp_id}.subscription_id",
            )
    return homes


def _report_stamp_full(
    diags: Diagnostics,
    room: _Room,
    stamp_id: str,
    location: str,
    *,
    allowed: list[PoolSubscription],
    wanted: int,
    need: tuple[ResolvedDeployment, ...],
) -> None:
    """A stamp no member can hold: the region, the accounts it needs and the most any member has left."""
    shorts = sorted({f"{m.subscription_id} ({q})" for m in allowed if (q := room.quota_short(need, m, location))})
    most = max((room.accounts_left(m, location) for m in allowed), default=0)
    summary = (
        f"no subscription of the pool allows region {location} (stamp {stamp_id!r})"
        if not allowed
        else f"stamp {stamp_id!r} does not fit in the subscription pool in region {location}: {wanted} account(s) "
        f"needed in one subscription, the roomiest of {len(allowed)} has room left for {most}"
    )
    diags.error(
        "pool-full",
        summary,
        detail=(f"Quota short in {'; '.join(shorts)}. " if shorts else "")
        + "Add a subscription (or the region) to [[provider.pool]], raise max_accounts or the quota, or choose "
        "another region for the stamp.",
        path=f"stamps.{stamp_id}",
    )


def place_in_pool(
    manifest: Manifest, observed: ObservedState, stamp_accounts: Mapping[str, int] | None = None
) -> PoolPlacement:
    """Place every stamp and dedicated tenant of ``manifest`` in a pool subscription (see the module docstring).

    ``stamp_accounts``: how many accounts each stamp has after stamp placement (at least 1).
    """
    p = manifest.provider
    tenants = sorted(t for t, spec in manifest.tenants.items() if spec.isolation is Isolation.DEDICATED)
    if not p.pool:
        alone = {t: (p.subscription_id, p.resource_group) for t in tenants}
        return PoolPlacement(alone, stamp_homes=settled_stamp_homes(manifest, observed.accounts))
    pool = manifest.subscription_pool()
    by_id = {m.subscription_id.lower(): m for m in pool}
    diags = Diagnostics()
    room = _Room(observed)
    stamp_homes = _place_stamps(manifest, observed, room, stamp_accounts or {}, diags)
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
            m
            for m in candidates
            if allows_region(m, location)
            and room.accounts_left(m, location) > 0
            and room.quota_short(manifest.resolved_deployments(tenant), m, location) is None
        ]
        if not fitting:
            unplaced.setdefault(location.lower(), []).append(tenant)
            continue
        member = room.least_loaded(fitting, location)
        room.take(manifest.resolved_deployments(tenant), member.subscription_id, location)
        homes[tenant] = (member.subscription_id, manifest.pool_resource_group(member))
    for location, waiting in sorted(unplaced.items()):
        _report_full(manifest, diags, room, location, waiting=waiting, room_before=room_before[location])
    subdomains = _subdomains(manifest, observed, homes)
    return PoolPlacement(homes, diags, frozenset(sticky), moves, subdomains, stamp_homes)


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
        {
            f"{m.subscription_id} ({q})"
            for m in allowed
            if (q := room.quota_short(manifest.resolved_deployments(waiting[0]), m, location)) is not None
        }
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
