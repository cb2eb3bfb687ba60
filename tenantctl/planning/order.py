"""Dependencies and order of a plan's changes (pure).

Creation runs parent first: resource group -> account -> blocklist -> RAI policy -> deployment.
Deletion runs child first: deployments before the RAI policy they use, policies before their
blocklists, all of an account's children before the account, and deletes after everything else
(phase 2), except a delete whose freed quota a create needs (the ledger's ``waits``), which moves
to phase 1.  A REPLACE is one change; the executor deletes before it creates.  ``depends_on`` lists
only actionable changes; the final order is a topological sort with a stable tie-break
(phase, kind rank, address) so the same inputs always give the same plan.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections import defaultdict
from collections.abc import Mapping

from tenantctl.addresses import Address, ResourceGroupAddress
from tenantctl.planning.model import Action, Change, ResourceKind
from tenantctl.resources import Blocklist, Deployment, RaiPolicy

__all__ = ["order"]

_RANK = {
    ResourceKind.RESOURCE_GROUP: 0,
    ResourceKind.ACCOUNT: 1,
    ResourceKind.BLOCKLIST: 2,
    ResourceKind.RAI_POLICY: 3,
    ResourceKind.DEPLOYMENT: 4,
    ResourceKind.PRIVATE_ENDPOINT: 5,
    ResourceKind.DIAGNOSTIC_SETTING: 6,
    ResourceKind.ACCOUNT_KEYS: 7,
}
# Removals run in reverse rank; endpoints and diagnostic settings (ranks above 4) go before deployments.
_REVERSE_FROM = 4
_REMOVALS = (Action.DELETE, Action.PURGE)


def _rank(c: Change) -> tuple[int, int, int, Address]:
    removing = c.action is Action.DELETE or (c.action is Action.PURGE and c.phase == 2)
    kind = _REVERSE_FROM - _RANK[c.kind] if removing else _RANK[c.kind]
    return (c.phase, kind, 0 if c.action is Action.PURGE and not removing else 1, c.address)


def _creation_deps(live: list[Change], deps: dict[Address, set[Address]]) -> None:
    """Parents first: group -> account -> blocklist -> RAI policy -> deployment."""
    groups = {c.address for c in live if c.kind is ResourceKind.RESOURCE_GROUP}
    # Children wait for an account that is being made; an in-place account update does not block them.
    making = (Action.CREATE, Action.REPLACE, Action.RESTORE)
    accounts = {
        c.account.key: c.address
        for c in live
        if c.kind is ResourceKind.ACCOUNT and c.account is not None and c.action in making
    }
    named: dict[tuple[str, ResourceKind, str], Address] = {}
    for c in live:
        if c.account is not None and c.after is not None:
            named[(c.account.key, c.kind, getattr(c.after, "name", "").lower())] = c.address
    for c in live:
        a, after = c.account, c.after
        if c.action in _REMOVALS or a is None:
            continue
        if c.kind is ResourceKind.ACCOUNT:
            rg = ResourceGroupAddress(a.subscription_id, a.resource_group)
            deps[c.address].update(g for g in groups if g == rg)
            continue
        wanted: list[tuple[str, ResourceKind, str]] = []
        if isinstance(after, RaiPolicy):
            wanted += [(a.key, ResourceKind.BLOCKLIST, n.lower()) for n in after.blocklists]
        if isinstance(after, Deployment) and after.rai_policy:
            wanted.append((a.key, ResourceKind.RAI_POLICY, after.rai_policy.lower()))
        deps[c.address].update(named[w] for w in wanted if w in named)
        if a.key in accounts:
            deps[c.address].add(accounts[a.key])


def _must_follow(c: Change, other: Change) -> bool:
    """Whether removal ``c`` must wait for ``other`` (a change on the same account)."""
    before = c.before
    if c.kind is ResourceKind.ACCOUNT and c.action is Action.DELETE:
        return other.kind is not ResourceKind.ACCOUNT and other.action is Action.DELETE  # children first
    if c.action is Action.PURGE:
        return c.phase == 2 and other.action is Action.DELETE and other.kind is ResourceKind.ACCOUNT
    if isinstance(before, RaiPolicy) and isinstance(other.before, Deployment):
        return (other.before.rai_policy or "").lower() == before.name.lower()  # a policy in use stays
    if isinstance(before, Blocklist) and isinstance(other.before, RaiPolicy):
        return before.name in other.before.blocklists  # a blocklist in use stays
    return False


def _dependencies(changes: list[Change]) -> dict[Address, set[Address]]:
    deps: dict[Address, set[Address]] = defaultdict(set)
    live = [c for c in changes if c.action.is_change]
    _creation_deps(live, deps)
    by_account: dict[str, list[Change]] = defaultdict(list)
    for c in live:
        if c.account is not None:
            by_account[c.account.key].append(c)
    for c in live:
        if c.action in _REMOVALS and c.account is not None:
            deps[c.address].update(o.address for o in by_account[c.account.key] if o is not c and _must_follow(c, o))
    return deps


def order(changes: list[Change], waits: Mapping[Address, tuple[Address, ...]]) -> tuple[Change, ...]:
    """``changes`` with ``depends_on`` and ``phase`` filled in, topologically sorted."""
    deps = _dependencies(changes)
    early = {a for v in waits.values() for a in v}
    for consumer, freers in waits.items():
        deps[consumer].update(freers)
    addresses = {c.address for c in changes}
    fixed = []
    for c in changes:
        # Deletes run after everything else (phase 2), a migration's retirements last (phase 3).
        phase = 1 if c.address in early else (max(2, c.phase) if c.action is Action.DELETE else c.phase)
        wanted = (deps.get(c.address, set()) | set(c.depends_on)) - {c.address}
        mine = tuple(sorted(wanted & addresses))
        fixed.append(dataclasses.replace(c, phase=phase, depends_on=mine))
    by_address = {c.address: c for c in fixed}
    # A change may not run in an earlier phase than something it depends on.
    for _ in range(len(fixed)):
        moved = False
        for c in list(by_address.values()):
            top = max((by_address[d].phase for d in c.depends_on), default=c.phase)
            if top > c.phase:
                by_address[c.address] = dataclasses.replace(c, phase=top)
                moved = True
        if not moved:
            break
    indegree = {a: len(c.depends_on) for a, c in by_address.items()}
    dependents: dict[Address, list[Address]] = defaultdict(list)
    for c in by_address.values():
        for d in c.depends_on:
            dependents[d].append(c.address)
    heap = [(_rank(c), c.address) for c in by_address.values() if indegree[c.address] == 0]
    heapq.heapify(heap)
    out: list[Change] = []
    while heap:
        _, address = heapq.heappop(heap)
        out.append(by_address[address])
        for nxt in dependents[address]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(heap, (_rank(by_address[nxt]), nxt))
    if len(out) != len(by_address):  # a cycle would be a planner bug; keep every change visible
        seen = {c.address for c in out}
        out.extend(sorted((c for c in by_address.values() if c.address not in seen), key=_rank))
    return tuple(out)
