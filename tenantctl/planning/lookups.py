"""What observation must read after the first diff: the lazy, plan-dependent lookups (pure).

Usage and model catalogues matter only where the plan adds capacity or accounts; deleted accounts
only in subscriptions where an account is created; subdomain checks only for created accounts.
Working this out from a first plan keeps a no-op plan at accounts + deployments requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tenantctl.manifest.model import Manifest
from tenantctl.observed import ObservedState, Region
from tenantctl.planning.model import Action
from tenantctl.planning.planner import make_plan
from tenantctl.resources import Account, Deployment

__all__ = ["Lookups", "lookups_needed"]


@dataclass(frozen=True)
class Lookups:
    regions: tuple[Region, ...] = ()  # usages + models
    subscriptions: tuple[str, ...] = ()  # deleted accounts
    subdomains: tuple[tuple[str, str], ...] = ()  # (subscription, subdomain)


def lookups_needed(manifest: Manifest, observed: ObservedState, *, tenants: Iterable[str] | None = None) -> Lookups:
    plan = make_plan(manifest, observed, tenants=tenants)
    where = {a.ref.key: a.location for a in observed.accounts.values()}
    where.update({c.after.ref.key: c.after.location for c in plan.changes if isinstance(c.after, Account)})
    regions: set[Region] = set()
    subs: set[str] = set()
    subdomains: set[tuple[str, str]] = set()
    for c in plan.changes:
        after, before = c.after, c.before
        if isinstance(after, Account) and c.action is Action.CREATE:
            regions.add((after.ref.subscription_id, after.location))
            subs.add(after.ref.subscription_id)
            if after.custom_subdomain:
                subdomains.add((after.ref.subscription_id, after.custom_subdomain))
        if isinstance(after, Deployment) and c.action in (Action.CREATE, Action.REPLACE, Action.UPDATE):
            grows = (
                not isinstance(before, Deployment)
                or c.action is Action.REPLACE
                or (
                    after.capacity > before.capacity
                    or (after.model, after.version, after.sku) != (before.model, before.version, before.sku)
                )
            )
            if grows and after.account.key in where:
                regions.add((after.account.subscription_id, where[after.account.key]))
    return Lookups(tuple(sorted(regions)), tuple(sorted(subs)), tuple(sorted(subdomains)))
