"""Which accounts the fleet has: one Resource Graph query across all subscriptions, confirmed against ARM.

This is the one place that decides how accounts are listed (O(subscriptions + pages), never one list per
resource group after another):

1. Azure Resource Graph (:meth:`CloudPort.query_managed_accounts`) answers for every subscription the
   manifest places accounts in, a page per 1,000 accounts.  Where it cannot be used (not registered, a
   cloud without it, forbidden) every subscription is listed instead, one ``accounts.list`` each, and
   ``-v`` says so.
2. Resource Graph lags ARM's writes (seconds, with no documented upper bound), and it only returns
   accounts carrying tenantctl's ownership tag.  So a subscription is listed directly (ARM, fresh, every
   account, foreign ones included) when what the plan decides there depends on it:

   * Resource Graph returned no account of it: an empty subscription and one the credential cannot
     read (or that does not exist) look alike there; the listing tells them apart, and the second is an
     error naming the subscription, never an empty subscription.
   * the manifest expects an account Resource Graph did not return: before anything plans a CREATE it
     is confirmed (an account just created and not indexed yet is found, so there is no duplicate
     create and no 409; an untagged account holding the name shows up as a name conflict);
   * Resource Graph returns an account of this manifest that the manifest no longer accounts for (a
     DELETE candidate): ARM may no longer have it.

   The direct listing replaces Resource Graph's rows for that subscription.  A no-op plan of a settled
   fleet lists nothing directly.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tenantctl import naming
from tenantctl.cloud.port import CloudPort
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.manifest.pool import pool_groups, stamp_groups
from tenantctl.observation.state import manifest_groups, split_by_owner
from tenantctl.resources import Account

__all__ = ["expected_accounts", "fleet_accounts", "subscriptions_to_confirm"]

_log = logging.getLogger(__name__)

Run = Callable[[Mapping[Any, Callable[[], Any]]], dict[Any, Any]]


def _one_by_one(calls: Mapping[Any, Callable[[], Any]]) -> dict[Any, Any]:
    return {k: call() for k, call in calls.items()}


def expected_accounts(manifest: Manifest) -> dict[str, set[str]]:
    """Lower-case account name -> lower-case subscriptions it may live in, for the accounts the manifest
    needs whatever placement decides: each dedicated tenant's and each stamp's first, in every pool
    subscription placement may have put it in."""
    p = manifest.provider
    expected: dict[str, set[str]] = {}
    for tenant_id, tenant in manifest.tenants.items():
        if tenant.isolation is Isolation.DEDICATED:
            name = naming.dedicated_account_name(p.name_prefix, tenant_id).lower()
            expected[name] = {sub.lower() for sub, _ in pool_groups(manifest, tenant_id)}
    for stamp_id in manifest.stamps:
        name = naming.stamp_account_name(p.name_prefix, stamp_id, 1).lower()
        # Pools place stamps too: its first account may be in any group the stamp may live in.
        expected[name] = {sub.lower() for sub, _ in stamp_groups(manifest, stamp_id)}
    return expected


def subscriptions_to_confirm(manifest: Manifest, subscriptions: Iterable[str], indexed: Iterable[Account]) -> set[str]:
    """Lower-case subscriptions to list directly after Resource Graph returned ``indexed`` (see the module)."""
    indexed = list(indexed)
    wanted = {s.lower() for s in subscriptions} - {a.ref.subscription_id.lower() for a in indexed}
    names = {a.ref.name.lower() for a in indexed}
    expected = expected_accounts(manifest)
    for name, subs in expected.items():
        if name not in names:
            wanted |= subs
    own = manifest.provider.manifest_name
    for account in indexed:
        if account.tags.get(naming.TAG_MANIFEST) != own or account.ref.name.lower() in expected:
            continue
        if account.tags.get(naming.TAG_STAMP) in manifest.stamps:
            continue  # a stamp's further accounts: placement counts them, the manifest keeps them
        wanted.add(account.ref.subscription_id.lower())
    return wanted


def fleet_accounts(
    manifest: Manifest, cloud: CloudPort, run: Run = _one_by_one
) -> tuple[dict[str, Account], dict[str, Account]]:
    """(managed, foreign) accounts, by key, of the resource groups the manifest places accounts in."""
    groups = manifest_groups(manifest)
    in_groups = {(sub.lower(), rg.lower()) for sub, rg in groups}
    subscriptions = list(dict.fromkeys(sub.lower() for sub, _ in groups))

    def ours(account: Account) -> bool:
        return (account.ref.subscription_id.lower(), account.ref.resource_group.lower()) in in_groups

    found = cloud.query_managed_accounts(subscriptions)
    if found is None:
        _log.info("Resource Graph is not available: listing accounts per subscription (%d)", len(subscriptions))
        indexed: list[Account] = []
        confirm = set(subscriptions)
    else:
        indexed = [a for a in found if ours(a)]
        confirm = subscriptions_to_confirm(manifest, subscriptions, indexed)
        if confirm:
            _log.info("confirming Resource Graph's answer against ARM in %d subscription(s)", len(confirm))
    direct = [s for s in subscriptions if s in confirm]
    listed = run({s: functools.partial(cloud.list_subscription_accounts, s) for s in direct})
    accounts = [a for a in indexed if a.ref.subscription_id.lower() not in confirm]
    accounts += [a for s in direct for a in listed[s] if ours(a)]
    return split_by_owner(accounts)
