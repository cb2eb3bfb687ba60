"""Checks shared by the property tests: what no plan may ever contain."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from tenantctl import naming
from tenantctl.desired import TAG_PROTECTED
from tenantctl.observation import ObservedState
from tenantctl.planning.model import Action, Change, Plan, Resource, ResourceKind
from tenantctl.resources import DeletedAccount

__all__ = ["assert_safe", "describe", "identity"]


def describe(plan: Plan) -> list[tuple[str, str, str]]:
    return [(c.address, c.action.value, c.reason) for c in plan.actionable]


def identity(resource: Resource) -> tuple[str, str, str]:
    """(type, account key, name) for records on an account; (type, key, "") for accounts."""
    if isinstance(resource, DeletedAccount):  # a soft-deleted name, not the account a create makes
        return ("deleted-account", resource.ref.key, "")
    ref = getattr(resource, "ref", None)
    if ref is not None:
        return ("account", ref.key, "")
    account = getattr(resource, "account", None)
    key = account.key if account is not None else ""
    return (type(resource).__name__, key, str(getattr(resource, "name", "")).lower())


def _ours(resource: Resource, name: str) -> bool:
    tags = resource.tags
    return tags.get(naming.TAG_MANAGED_BY) == naming.MANAGED_BY_VALUE and tags.get(naming.TAG_MANIFEST) == name


def assert_safe(
    plan: Plan,
    *,
    prune: bool,
    retire: bool,
    purge_deleted: bool,
    migrating: Iterable[str | None] = (),  # owners with a retirement (None: a stamp's deployment)
    foreign: Iterable[tuple[str, str, str]] = (),
    observed: ObservedState | None = None,
    unprotected: Iterable[str] = (),
) -> None:
    """The safety invariants of the brief, one assertion each (messages name the change)."""
    migrating = set(migrating)
    unprotected = set(unprotected)
    foreign = set(foreign)
    addresses = [c.address for c in plan.changes]
    dupes = [a for a, n in Counter(addresses).items() if n > 1]
    assert not dupes, f"addresses not unique: {dupes}"
    known = set(addresses)
    by_address = {c.address: c for c in plan.changes}
    _acyclic(by_address)
    for c in plan.changes:
        missing = [d for d in c.depends_on if d not in known]
        assert not missing, f"{c.address} depends on {missing}, which are not in the plan"
        later = [d for d in c.depends_on if by_address[d].phase > c.phase]
        assert not later, f"{c.address} (phase {c.phase}) depends on {later}, which run in a later phase"
        before = c.before
        if c.action.is_destructive:
            assert before is not None, f"{c.address}: {c.action.value} without a before"
            assert _ours(before, plan.manifest_name), (
                f"{c.address}: {c.action.value} of a resource not ours: {dict(before.tags)}"
            )
        # A retirement (phase 3, only with retire) is the one delete prune does not gate; it may take a
        # protected tenant's *old generation* (migration.py: protection guards the tenant, whose new
        # resources are live by then).
        retirement = retire and c.phase == 3 and c.tenant in migrating
        if c.action is Action.REPLACE and before is not None and before.tags.get(TAG_PROTECTED) == "true":
            # Only the manifest may lift a tenant's protection (set protected = false for this apply).
            lifted = c.tenant in unprotected
            assert plan.is_blocked or lifted, f"{c.address}: replace of a protected resource ({c.reason})"
        if (
            c.action in (Action.DELETE, Action.PURGE)
            and before is not None
            and before.tags.get(TAG_PROTECTED) == "true"
        ):
            assert retirement, f"{c.address}: {c.action.value} of a protected resource ({c.reason})"
        if c.action is Action.DELETE:
            assert prune or retirement, f"{c.address}: delete without --prune ({c.reason})"
        if c.action is Action.PURGE:
            assert purge_deleted, f"{c.address}: purge without --purge-deleted ({c.reason})"
        if c.action in (Action.UPDATE, Action.REPLACE) and before is not None:
            had = before.tags.get(naming.TAG_TENANT) or before.tags.get(naming.TAG_STAMP)
            wants = c.tenant or c.stamp
            assert had in (None, wants), f"{c.address}: {c.action.value} hands {had}'s resource to {wants}"
        # An account REPLACE always blocks the plan (account-replace-needs-purge): never applied.
        doomed = (Action.DELETE,) if plan.is_blocked else (Action.DELETE, Action.REPLACE)
        if observed is not None and c.kind is ResourceKind.ACCOUNT and c.action in doomed:
            _account_may_go(plan, c, observed, retirement)
        if c.action.is_change:
            for r in (c.before, c.after):
                if r is not None:
                    assert identity(r) not in foreign, f"{c.address}: {c.action.value} touches a foreign {identity(r)}"


def _account_may_go(plan: Plan, change: Change, observed: ObservedState, retirement: bool) -> None:
    """Deleting an account deletes everything on it: all of it must be ours, unprotected and not kept."""
    assert change.account is not None
    key = change.account.key
    kept = {
        c.address
        for c in plan.changes
        if c.account is not None
        and c.account.key == key
        and c.action in (Action.NOOP, Action.UPDATE)
        and c.kind is not ResourceKind.ACCOUNT
    }
    assert change.action is Action.REPLACE or not kept, f"{change.address}: deleted while the plan keeps {kept}"
    children = (
        *observed.deployments.get(key, ()),
        *observed.rai_policies.get(key, ()),
        *observed.blocklists.get(key, ()),
    )
    own_change = {identity(c.before) for c in plan.changes if c.before is not None and c.action.is_destructive}
    for child in children:
        if identity(child) in own_change:
            continue  # judged by its own change
        assert _ours(child, plan.manifest_name), (
            f"{change.address}: {change.action.value} takes along {child.name!r}, not ours"
        )
        if child.tags.get(TAG_PROTECTED) == "true":
            assert retirement or change.action is Action.REPLACE, (
                f"{change.address}: {change.action.value} takes along protected {child.name!r}"
            )


def _acyclic(by_address: dict[str, Change]) -> None:
    """Apply runs a change once all it depends on succeeded: a cycle would never run."""
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    for root, change in by_address.items():
        stack = [(root, iter(change.depends_on))]
        if state.get(root):
            continue
        state[root] = 1
        while stack:
            node, deps = stack[-1]
            nxt = next(deps, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif nxt in by_address and state.get(nxt) == 1:
                raise AssertionError(f"dependency cycle through {nxt} and {node}")
            elif nxt in by_address and not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(by_address[nxt].depends_on)))
