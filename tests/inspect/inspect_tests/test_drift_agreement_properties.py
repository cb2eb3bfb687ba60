"""Property: for random drift, plan, status and inspect agree on which tenant, resource and field drifted.

Pure and fast: the fleet of ``manifest.toml`` in sync is built from the plan of an empty cloud (each
create's ``after`` is what Azure then holds), random drift is applied to those records, and the
three surfaces are computed from them the way the commands do: ``plan --prune`` from the whole
state, ``status`` from the plan, ``inspect`` from each tenant's scoped view (its own account, or
its stamp's accounts, as :mod:`tenantctl.observation.scoped` reads them).  The end-to-end twins of
these checks, through the CLI on the emulator, are in ``test_one_truth.py``.  CI runs it
derandomized (tests/conftest.py); ``TENANTCTL_FUZZ_EXAMPLES`` raises the example count.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_tests.conftest import TODAY, load
from tenantctl import naming
from tenantctl.inspection import fleet_status, inspection_of
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.observation import ObservedState, TenantObservation
from tenantctl.planning import make_plan
from tenantctl.planning.model import Action, Plan
from tenantctl.resources import Account, AccountRef, Blocklist, Deployment, RaiPolicy

Drift = set[tuple[str, str]]
PROPS = settings(
    max_examples=int(os.environ.get("TENANTCTL_FUZZ_EXAMPLES", "0")) or 25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
MANIFEST = load()


def _in_sync(manifest: Manifest) -> ObservedState:
    """What Azure holds once the whole fleet is applied: every create's ``after``."""
    accounts: dict[str, Account] = {}
    children: dict[str, dict[str, list[Any]]] = {"deployments": {}, "rai_policies": {}, "blocklists": {}}
    for c in make_plan(manifest, ObservedState()).changes:
        a = c.after
        if isinstance(a, Account):
            accounts[a.ref.key] = a
        elif isinstance(a, Deployment):
            children["deployments"].setdefault(a.account.key, []).append(a)
        elif isinstance(a, RaiPolicy):
            children["rai_policies"].setdefault(a.account.key, []).append(a)
        elif isinstance(a, Blocklist):
            children["blocklists"].setdefault(a.account.key, []).append(a)

    def per_account(name: str) -> dict[str, tuple[Any, ...]]:
        return {k: tuple(children[name].get(k, ())) for k in accounts}

    return ObservedState(
        accounts,
        {},
        (),
        per_account("deployments"),
        per_account("rai_policies"),
        per_account("blocklists"),
    )


BASE = _in_sync(MANIFEST)
DEPLOYMENTS = sorted((k, d.name) for k, ds in BASE.deployments.items() for d in ds)
ACME = next(k for k, a in BASE.accounts.items() if a.ref.name == "tc-acme")
GLOBEX_HOME = next(k for k, ds in BASE.deployments.items() for d in ds if d.name == "globex--chat")


def _replace_deployment(state: ObservedState, key: str, name: str, **changes: Any) -> ObservedState:
    deployments = dict(state.deployments)
    deployments[key] = tuple(dataclasses.replace(d, **changes) if d.name == name else d for d in deployments[key])
    return dataclasses.replace(state, deployments=deployments)


def _add_deployment(state: ObservedState, key: str, deployment: Deployment) -> ObservedState:
    deployments = dict(state.deployments)
    deployments[key] = (*deployments[key], deployment)
    return dataclasses.replace(state, deployments=deployments)


def _capacity(state: ObservedState, target: tuple[str, str]) -> ObservedState:
    return _replace_deployment(state, *target, capacity=7)


def _sku(state: ObservedState, target: tuple[str, str]) -> ObservedState:
    return _replace_deployment(state, *target, sku="ProvisionedManaged")


def _version(state: ObservedState, target: tuple[str, str]) -> ObservedState:
    return _replace_deployment(state, *target, version="2099-01-01")


def _deleted(state: ObservedState, target: tuple[str, str]) -> ObservedState:
    key, name = target
    deployments = dict(state.deployments)
    deployments[key] = tuple(d for d in deployments[key] if d.name != name)
    return dataclasses.replace(state, deployments=deployments)


def _term_added(state: ObservedState, target: tuple[str, str]) -> ObservedState:
    lists = tuple(dataclasses.replace(b, terms=(*b.terms, "added-by-hand")) for b in state.blocklists[ACME])
    return dataclasses.replace(state, blocklists={**state.blocklists, ACME: lists})


def _term_removed(state: ObservedState, target: tuple[str, str]) -> ObservedState:
    lists = tuple(dataclasses.replace(b, terms=b.terms[1:]) for b in state.blocklists[ACME])
    return dataclasses.replace(state, blocklists={**state.blocklists, ACME: lists})


def _filter(state: ObservedState, target: tuple[str, str]) -> ObservedState:
    policies = tuple(dataclasses.replace(p, severity="High") for p in state.rai_policies[ACME])
    return dataclasses.replace(state, rai_policies={**state.rai_policies, ACME: policies})


def _network(state: ObservedState, target: tuple[str, str]) -> ObservedState:
    account = dataclasses.replace(state.accounts[ACME], public_network_access=False)
    return dataclasses.replace(state, accounts={**state.accounts, ACME: account})


def _extra_owned(state: ObservedState, target: tuple[str, str]) -> ObservedState:
    """A deployment tagged for globex that the manifest does not name (apply --prune deletes it)."""
    tags = {
        naming.TAG_MANAGED_BY: naming.MANAGED_BY_VALUE,
        naming.TAG_MANIFEST: MANIFEST.provider.manifest_name,
        naming.TAG_TENANT: "globex",
    }
    ref = state.accounts[GLOBEX_HOME].ref
    return _add_deployment(
        state, GLOBEX_HOME, Deployment(ref, "globex--extra", "gpt-4o", "2024-11-20", "X", 1, tags=tags)
    )


def _extra_untagged(state: ObservedState, target: tuple[str, str]) -> ObservedState:
    """A hand-made deployment: not tenantctl's, so never drift (and never deleted)."""
    ref: AccountRef = state.accounts[target[0]].ref
    return _add_deployment(state, target[0], Deployment(ref, "hand-made", "gpt-4o", "2024-11-20", "X", 1))


Mutation = Callable[[ObservedState, tuple[str, str]], ObservedState]
MUTATIONS: Mapping[str, Mutation] = {
    "capacity": _capacity,
    "sku": _sku,
    "version": _version,
    "deleted": _deleted,
    "term-added": _term_added,
    "term-removed": _term_removed,
    "filter": _filter,
    "network": _network,
    "extra-owned": _extra_owned,
    "extra-untagged": _extra_untagged,
}


def _scoped(state: ObservedState, tenant_id: str) -> TenantObservation:
    """What ``observe_tenant`` reads: the tenant's account, or its stamp's accounts (host first by its deployments)."""
    tenant = MANIFEST.tenants[tenant_id]
    if tenant.isolation is Isolation.DEDICATED:
        keys = [k for k, a in state.accounts.items() if a.tags.get(naming.TAG_TENANT) == tenant_id]
        host = keys[0] if keys else None
    else:
        keys = sorted(k for k, a in state.accounts.items() if a.tags.get(naming.TAG_STAMP) == tenant.stamp)
        home = [k for k in keys if any(d.tags.get(naming.TAG_TENANT) == tenant_id for d in state.deployments[k])]
        host = (home or keys or [None])[0]

    def only(m: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in m.items() if k in keys}

    scoped = ObservedState(
        only(state.accounts),
        {},
        (),
        only(state.deployments),
        only(state.rai_policies),
        only(state.blocklists),
    )
    return TenantObservation(scoped, state.accounts[host].ref if host else None)


def _plan_drift(plan: Plan, tenant_id: str) -> Drift:
    tenant = MANIFEST.tenants[tenant_id]
    out: Drift = set()
    for c in plan.changes:
        shared = tenant.isolation is Isolation.SHARED and c.tenant is None and c.stamp == tenant.stamp
        if (c.tenant == tenant_id or shared) and c.action is not Action.NOOP:
            out |= {(str(c.address), f.name) for f in c.changed_fields} or {(str(c.address), "")}
    return out


def _views(views: Any) -> Drift:
    out: Drift = set()
    for v in views:
        out |= {(v.address, f.name) for f in v.fields} or {(v.address, "")}
    return out


@PROPS
@given(
    chosen=st.lists(st.sampled_from(sorted(MUTATIONS)), unique=True, max_size=4),
    target=st.sampled_from(DEPLOYMENTS),
)
def test_plan_status_and_inspect_agree_on_what_drifted(chosen: list[str], target: tuple[str, str]) -> None:
    state = BASE
    for name in chosen:
        state = MUTATIONS[name](state, target)
    pruned = make_plan(MANIFEST, state, prune=True)  # plan --prune: orphans show as the deletes they are
    status = {r.tenant: r for r in fleet_status(MANIFEST, make_plan(MANIFEST, state)).rows}
    drifted = set()
    for tenant_id, tenant in sorted(MANIFEST.tenants.items()):
        if tenant.isolation is Isolation.TENANT_PROVIDED:
            continue  # nothing of ours in Azure: the verifier's checks are its drift
        inspected = inspection_of(MANIFEST, _scoped(state, tenant_id), tenant_id, today=TODAY).report
        in_plan = _plan_drift(pruned, tenant_id)
        assert _views(status[tenant_id].drift) == in_plan, (tenant_id, chosen)
        assert _views(inspected.drift) == in_plan, (tenant_id, chosen)
        assert status[tenant_id].state == inspected.state, (tenant_id, chosen)
        if in_plan:
            drifted.add(tenant_id)
    # Drift that touches a resource of ours is seen; a hand-made deployment alone is not drift.
    if set(chosen) - {"extra-untagged"}:
        assert drifted, chosen
    if set(chosen) <= {"extra-untagged"}:
        assert not drifted, chosen
