"""Properties: what no plan may ever do, whatever the manifest was and became, and whatever else Azure holds.

Manifest A is applied (simulated), Azure drifts (fields, protection tags, provisioning states,
deletions), gains resources that are not ours (untagged, or tagged for another manifest: accounts,
deployments, filters, soft-deleted accounts, some squatting exactly where B wants its own) and maybe
tight quota, and manifest B is planned with and without ``prune``, ``retire``, ``purge_deleted`` and
``--tenant``; then B is applied and B and a third manifest are planned again.  Every plan must be safe (see
:func:`tests.properties.invariants.assert_safe`): nothing foreign or protected is deleted or purged,
nothing is deleted without prune (retirements excepted, with retire), dependencies exist, addresses
are unique, and foreign resources appear in no change other than a no-op.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from hypothesis import assume, given
from hypothesis import strategies as st

from tenantctl import naming
from tenantctl.desired import TAG_PROTECTED, desired_state
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState, is_managed
from tenantctl.planning import make_plan
from tenantctl.planning.migration import old_generations
from tenantctl.planning.placement import place, placed_desired_state
from tenantctl.planning.successors import resolve_successors
from tenantctl.resources import AccountRef, Blocklist, DeletedAccount, Deployment, QuotaUsage, RaiPolicy
from tests.planning.simulate import applied

from .conftest import everything_built_on, load, props
from .invariants import assert_safe, describe, identity
from .strategies import (
    MANIFEST_NAME,
    MODELS,
    NAMES,
    PROVIDER_RG,
    REGIONS,
    SKUS,
    STAMPS,
    SUB,
    SUB2,
    TENANTS,
    foreign_account,
    foreign_deployment,
    foreign_tags,
)

Foreign = tuple[ObservedState, frozenset[tuple[str, str, str]]]


@st.composite
def with_foreign(  # noqa: PLR0912 - one branch per kind
    draw: st.DrawFn, state: ObservedState, squat: Manifest | None = None
) -> Foreign:
    """``state`` plus resources that are not ours, and their identities.

    With ``squat``, some sit exactly where that manifest wants its own deployments and filters to be
    (same account, same name): the worst case for anything that finds resources by name.
    """
    accounts = dict(state.accounts)
    foreign_accounts = dict(state.foreign_accounts)
    deployments = {k: list(v) for k, v in state.deployments.items()}
    policies = {k: list(v) for k, v in state.rai_policies.items()}
    blocklists = {k: list(v) for k, v in state.blocklists.items()}
    deleted = {k: list(v) for k, v in state.deleted_accounts.items()}
    marks: set[tuple[str, str, str]] = set()
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["untagged", "other-manifest"]))
        tags = foreign_tags(
            kind,
            draw(st.none() | st.sampled_from(TENANTS)),
            draw(st.none() | st.sampled_from(["dedicated", "dedicated-deployment"])),
        )
        what = draw(st.sampled_from(["account", "stamp-account", "deployment", "filter", "deleted", "squat"]))
        if what == "squat":
            spots = _spots(squat, state) if squat is not None else []
            if not spots:
                continue
            spot = draw(st.sampled_from(spots))
            taken = {
                r.name.lower()
                for r in (deployments if isinstance(spot, Deployment) else policies).get(spot.account.key, [])
            }
            if spot.name.lower() in taken:
                continue
            copy = dataclasses.replace(spot, tags=tags)
            (deployments if isinstance(spot, Deployment) else policies).setdefault(spot.account.key, []).append(copy)
            marks.add(identity(copy))
            continue
        if what in ("account", "stamp-account", "deleted"):
            if what == "stamp-account":
                stamp = draw(st.sampled_from(STAMPS))
                name = naming.stamp_account_name("ctso", stamp, draw(st.integers(1, 3)))
                sub, rg = draw(st.sampled_from([(SUB, PROVIDER_RG), (SUB2, PROVIDER_RG), (SUB, f"rg-{stamp}")]))
            else:
                name = naming.dedicated_account_name("ctso", draw(st.sampled_from(TENANTS)))
                sub, rg = SUB, PROVIDER_RG
            ref = AccountRef(sub, rg, name)
            if ref.key in accounts or ref.key in foreign_accounts:
                continue
            location = draw(st.sampled_from(REGIONS))
            if what == "deleted":
                if draw(st.booleans()):  # ours, but protected: never purged either
                    tags = {
                        naming.TAG_MANAGED_BY: naming.MANAGED_BY_VALUE,
                        naming.TAG_MANIFEST: MANIFEST_NAME,
                        TAG_PROTECTED: "true",
                    }
                when = datetime(2026, 11, 21, tzinfo=timezone.utc)
                record = DeletedAccount(ref, location, when, when, naming.custom_subdomain(name), tags)
                deleted.setdefault(sub, []).append(record)
                if TAG_PROTECTED not in tags:  # ours and protected may be restored, never purged
                    marks.add(identity(record))
                continue
            account = foreign_account(ref, location, tags)
            (accounts if is_managed(tags) else foreign_accounts)[ref.key] = account
            deployments.setdefault(ref.key, []) if is_managed(tags) else None
            marks.add(identity(account))
            continue
        hosts = sorted(k for k, a in accounts.items() if identity(a) not in marks)
        if not hosts:
            continue
        host = accounts[draw(st.sampled_from(hosts))].ref
        tenant = draw(st.sampled_from(TENANTS))
        if what == "deployment":
            name = draw(st.sampled_from([*NAMES, naming.tenant_deployment_name(tenant, draw(st.sampled_from(NAMES)))]))
            if any(d.name.lower() == name.lower() for d in deployments.get(host.key, [])):
                continue
            record = foreign_deployment(host, name, tags)
            deployments.setdefault(host.key, []).append(record)
        else:
            name = naming.rai_policy_name(tenant)
            if any(p.name.lower() == name.lower() for p in policies.get(host.key, [])):
                continue
            record = RaiPolicy(host, name, "Microsoft.DefaultV2", tags=tags)
            policies.setdefault(host.key, []).append(record)
            bl_name = naming.blocklist_name(tenant)
            if not any(b.name.lower() == bl_name for b in blocklists.get(host.key, [])):
                bl = Blocklist(host, bl_name, ("x",), tags)
                blocklists.setdefault(host.key, []).append(bl)
                marks.add(identity(bl))
        marks.add(identity(record))
    state = dataclasses.replace(
        state,
        accounts=accounts,
        foreign_accounts=foreign_accounts,
        deployments={k: tuple(v) for k, v in deployments.items()},
        rai_policies={k: tuple(v) for k, v in policies.items()},
        blocklists={k: tuple(v) for k, v in blocklists.items()},
        deleted_accounts={k: tuple(v) for k, v in deleted.items()},
    )
    return state, frozenset(marks)


@st.composite
def drifted(draw: st.DrawFn, state: ObservedState) -> ObservedState:
    """``state`` after people changed things in the portal: fields, protection tags, states, deletions."""
    deployments = {k: list(v) for k, v in state.deployments.items()}
    accounts = dict(state.accounts)
    for key in sorted(deployments):
        for i, d in enumerate(list(deployments[key])):
            how = draw(
                st.sampled_from(["keep", "keep", "keep", "capacity", "sku", "model", "protect", "state", "drop"])
            )
            if how == "capacity":
                deployments[key][i] = dataclasses.replace(d, capacity=d.capacity + draw(st.integers(1, 5)))
            elif how == "sku":
                deployments[key][i] = dataclasses.replace(d, sku=draw(st.sampled_from(["Standard", "GlobalStandard"])))
            elif how == "model":
                deployments[key][i] = dataclasses.replace(d, model="gpt-4.1", version="2025-04-14")
            elif how == "protect":
                flip = "false" if d.tags.get(TAG_PROTECTED) == "true" else "true"
                deployments[key][i] = dataclasses.replace(d, tags={**d.tags, TAG_PROTECTED: flip})
            elif how == "state":
                state_ = draw(st.sampled_from(["Failed", "Creating", "Updating"]))
                deployments[key][i] = dataclasses.replace(d, provisioning_state=state_)
            elif how == "drop":
                deployments[key][i] = None  # type: ignore[call-overload]
    for key, a in sorted(accounts.items()):
        how = draw(st.sampled_from(["keep", "keep", "keep", "network", "protect", "state"]))
        if how == "network":
            accounts[key] = dataclasses.replace(a, public_network_access=not a.public_network_access)
        elif how == "protect":
            flip = "false" if a.tags.get(TAG_PROTECTED) == "true" else "true"
            accounts[key] = dataclasses.replace(a, tags={**a.tags, TAG_PROTECTED: flip})
        elif how == "state":
            accounts[key] = dataclasses.replace(a, provisioning_state=draw(st.sampled_from(["Failed", "Creating"])))
    return dataclasses.replace(
        state,
        accounts=accounts,
        deployments={k: tuple(d for d in v if d is not None) for k, v in deployments.items()},
    )


@st.composite
def with_quota(draw: st.DrawFn, state: ObservedState) -> ObservedState:
    """``state`` with usages read everywhere: limits just around what is used, so frees matter."""
    spare = draw(st.lists(st.integers(-5, 80), min_size=5, max_size=5))
    used: dict[tuple[str, str, str], float] = {}
    for key, deps in state.deployments.items():
        account = state.accounts.get(key)
        for d in deps if account is not None else ():
            line = (d.account.subscription_id, account.location, f"OpenAI.{d.sku}.{d.model}")  # type: ignore[union-attr]
            used[line] = used.get(line, 0.0) + d.capacity
    usages: dict[tuple[str, str], list[QuotaUsage]] = {}
    lines = [
        (sub, loc, f"OpenAI.{sku}.{model}")
        for sub in (SUB, SUB2)
        for loc in REGIONS
        for sku in SKUS
        for model, _ in MODELS
    ]
    for i, (sub, loc, name) in enumerate(lines):
        current = used.get((sub, loc, name), 0.0)
        usages.setdefault((sub, loc), []).append(QuotaUsage(sub, loc, name, current, max(0.0, current + spare[i % 5])))
    return dataclasses.replace(state, usages={k: tuple(v) for k, v in usages.items()})


def _spots(manifest: Manifest, state: ObservedState) -> list[Deployment | RaiPolicy]:
    """Deployments and filters ``manifest`` wants on accounts that already exist."""
    placement = place(manifest, state)
    return [
        i.resource
        for i in desired_state(manifest, placement_hints=placement.hints).items
        if isinstance(i.resource, (Deployment, RaiPolicy)) and i.resource.account.key in state.accounts
    ]


def _check(
    manifest: Manifest, state: ObservedState, marks: frozenset[tuple[str, str, str]], *, retire: bool, purge: bool
) -> None:
    migrating: set[str | None] = set(old_generations(manifest, state))
    # A deployment whose model or SKU changed retires its old deployment the same way (successors.py).
    migrating |= {
        p.tenant for p in resolve_successors(manifest, placed_desired_state(manifest, state)[0], state).predecessors
    }
    purge_ok = purge or manifest.provider.purge_deleted
    everything_built_on(manifest, state, retire=retire, purge_deleted=purge)
    some: list[str] = sorted(manifest.tenants)[::2]
    full: dict[str, tuple[str, str]] = {}
    for prune, tenants in ((False, None), (True, None), (True, some)):
        plan = make_plan(manifest, state, prune=prune, retire=retire, purge_deleted=purge, tenants=tenants)
        if tenants is None and prune:
            full = {c.address: (c.action.value, c.reason) for c in plan.changes}
        if tenants is not None:
            strays = {c.address for c in plan.changes if c.tenant is not None and c.tenant not in tenants}
            assert not strays, f"--tenant {tenants} plans other tenants' changes: {strays}"
            # A filtered plan is a part of the full plan, change for change (quota waits aside).
            odd = {c.address for c in plan.changes if full.get(c.address, ("", ""))[0] != c.action.value}
            assert not odd, f"--tenant {tenants} plans what the full plan does not: {odd}"
        assert_safe(
            plan,
            prune=prune,
            retire=retire,
            purge_deleted=purge_ok,
            migrating=migrating,
            foreign=marks,
            observed=state,
            unprotected={t for t, spec in manifest.tenants.items() if not spec.protected},
        )


def _apply(manifest: Manifest, state: ObservedState, **flags: bool) -> ObservedState:
    plan = make_plan(manifest, state, **flags)
    assume(not plan.is_blocked)  # apply refuses a blocked plan
    return applied(state, plan)


@props(250)
@given(st.data())
def test_changing_manifests_never_plans_an_unsafe_change(data: st.DataObject) -> None:
    from .strategies import manifests

    first = load(data.draw(manifests(), label="A"))
    second = load(data.draw(manifests(), label="B"))
    state = _apply(first, ObservedState())
    if data.draw(st.booleans(), label="drift"):
        state = data.draw(drifted(state), label="drifted")
    state, marks = data.draw(with_foreign(state, second), label="foreign")
    if data.draw(st.booleans(), label="quota"):
        state = data.draw(with_quota(state), label="with quota")
    retire, purge = data.draw(st.booleans(), label="retire"), data.draw(st.booleans(), label="purge_deleted")
    _check(second, state, marks, retire=retire, purge=purge)
    # Carry on: apply B (phase 1 of any migration), then plan B again (phase 3 with retire), then A again.
    prune = data.draw(st.booleans(), label="prune on apply")
    plan = make_plan(second, state, prune=prune, retire=retire, purge_deleted=purge)
    if plan.is_blocked:
        return
    state = applied(state, plan)
    third = load(data.draw(manifests(), label="C")) if data.draw(st.booleans(), label="third") else first
    _check(second, state, marks, retire=True, purge=purge)
    _check(third, state, marks, retire=retire, purge=purge)


@props(80)
@given(st.data())
def test_foreign_resources_are_never_touched_from_an_empty_start(data: st.DataObject) -> None:
    from .strategies import manifests

    manifest = load(data.draw(manifests(), label="manifest"))
    state, marks = data.draw(with_foreign(ObservedState()), label="foreign")
    _check(manifest, state, marks, retire=True, purge=True)
    plan = make_plan(manifest, state, prune=True, purge_deleted=True)
    assert_safe(plan, prune=True, retire=False, purge_deleted=True, foreign=marks, observed=state)


@props(150)
@given(st.data())
def test_any_change_of_manifest_converges_with_prune_retire_and_purge(data: st.DataObject) -> None:
    """A to B, migrations included, reaches a no-op plan within a few applies (phase 1, then phase 3, then prune)."""
    from .strategies import manifests

    first = load(data.draw(manifests(), label="A"))
    second = load(data.draw(manifests(), label="B"))
    state = _apply(first, ObservedState())
    if data.draw(st.booleans(), label="drift"):
        state = data.draw(drifted(state), label="drifted")
    state, _ = data.draw(with_foreign(state), label="foreign")
    flags = {"prune": True, "retire": True, "purge_deleted": True}
    history = []
    for _ in range(4):
        plan = make_plan(second, state, **flags)
        if plan.is_blocked or not plan.has_changes:
            return
        history.append(describe(plan))
        state = applied(state, plan)
    raise AssertionError(f"still changing after 4 applies: {history}")
