"""The diff: what is compared, what is never touched, and when a change is a replacement."""

from __future__ import annotations

import dataclasses

from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.planning.model import Action, Plan
from tenantctl.resources import Account, AccountRef, Deployment

from .conftest import HEAD, SUB, dedicated, manifest_from, on_stamp, stamp_block
from .simulate import applied


def _state(text: str) -> ObservedState:
    return applied(ObservedState(), make_plan(manifest_from(text), ObservedState()))


def _by_address(plan: Plan) -> dict[str, Action]:
    return {str(c.address): c.action for c in plan.changes}


def test_an_untagged_account_with_the_wanted_name_is_an_error_and_is_never_changed() -> None:
    theirs = Account(AccountRef(SUB, "rg-tenants", "ctso-acme"), "swedencentral", "ctso-acme", {"owner": "bob"})
    observed = ObservedState(foreign_accounts={theirs.ref.key: theirs})
    plan = make_plan(manifest_from(HEAD + dedicated("acme")), observed)
    assert "tenant.acme.account" not in _by_address(plan)
    assert [d.code for d in plan.diagnostics.errors] == ["not-ours"]


def test_prune_never_deletes_untagged_deployments_or_other_manifests_resources() -> None:
    text = HEAD + stamp_block() + on_stamp("one")
    state = _state(text)
    key, deps = next((k, v) for k, v in state.deployments.items() if "eu1" in k)
    ref = deps[0].account
    hand_made = Deployment(ref, "hand-made", "gpt-4o", "2024-11-20", "GlobalStandard", 1)
    other = Deployment(
        ref,
        "x--chat",
        "gpt-4o",
        "2024-11-20",
        "GlobalStandard",
        1,
        tags={"managed-by": "tenantctl", "tenantctl-manifest": "staging", "tenantctl-tenant": "x"},
    )
    state = dataclasses.replace(state, deployments={**state.deployments, key: (*deps, hand_made, other)})
    plan = make_plan(manifest_from(HEAD + stamp_block()), state, prune=True)
    deleted = [str(c.address) for c in plan.changes if c.action is Action.DELETE]
    assert deleted == ["tenant.one.deployment.chat"]


def test_a_new_model_version_is_an_in_place_update_but_a_new_model_is_a_replacement() -> None:
    state = _state(HEAD + dedicated("acme"))
    newer = HEAD + dedicated("acme").replace("capacity = 10", 'capacity = 10, version = "2024-08-06"')
    plan = make_plan(manifest_from(newer), state)
    change = next(c for c in plan.changes if str(c.address) == "tenant.acme.deployment.chat")
    assert change.action is Action.UPDATE
    assert [(f.name, f.before, f.after, f.forces_replace) for f in change.changed_fields] == [
        ("version", "2024-11-20", "2024-08-06", False)
    ]
    other = HEAD + dedicated("acme").replace("capacity = 10", 'capacity = 10, model = "gpt-4.1", version = "1"')
    # A new model name cannot change in place: a successor beside the old one (successors.py), no outage.
    changes = [c for c in make_plan(manifest_from(other), state).changes if c.kind.value == "deployment"]
    assert [(c.action, c.after.name if c.after else None) for c in changes] == [
        (Action.CREATE, "chat__gpt-4.1-globalstandard"),
        (Action.NOOP, "chat"),
    ]
    assert all(c.outage is None for c in changes)


def test_tags_tenantctl_does_not_own_are_not_drift_and_survive_an_update() -> None:
    state = _state(HEAD + dedicated("acme"))
    key, account = next(iter(state.accounts.items()))
    tagged = dataclasses.replace(account, tags={**account.tags, "costcenter": "42"}, public_network_access=False)
    plan = make_plan(manifest_from(HEAD + dedicated("acme")), dataclasses.replace(state, accounts={key: tagged}))
    change = next(c for c in plan.changes if str(c.address) == "tenant.acme.account")
    assert change.action is Action.UPDATE
    assert [f.name for f in change.changed_fields] == ["public_network_access"]
    assert change.after is not None
    assert change.after.tags["costcenter"] == "42"


def test_moving_a_dedicated_tenant_to_another_region_replaces_the_account_and_its_deployments() -> None:
    state = _state(HEAD + dedicated("acme"))
    moved = HEAD + dedicated("acme", extra='location = "westeurope"')
    plan = make_plan(manifest_from(moved), state)
    actions = _by_address(plan)
    assert actions["tenant.acme.account"] is Action.REPLACE
    assert actions["tenant.acme.deployment.chat"] is Action.REPLACE
    assert "account-replace-needs-purge" in [d.code for d in plan.diagnostics.errors]
    assert "account-replace-needs-purge" in [
        d.code for d in make_plan(manifest_from(moved), state, purge_deleted=True).diagnostics.errors
    ]


def test_moving_a_tenant_to_another_stamp_replaces_its_deployment_with_an_outage() -> None:
    two_stamps = HEAD + stamp_block("eu1") + stamp_block("eu2")
    state = _state(two_stamps + on_stamp("one", "eu1"))
    plan = make_plan(manifest_from(two_stamps + on_stamp("one", "eu2")), state)
    change = next(c for c in plan.changes if str(c.address) == "tenant.one.deployment.chat")
    assert change.action is Action.REPLACE
    assert "moves from ctso-eu1--01 to ctso-eu2--01" in change.reason
    assert not any(c.action is Action.DELETE for c in plan.changes)


def test_a_removed_protected_tenant_is_kept_even_with_prune() -> None:
    state = _state(HEAD + dedicated("acme", extra="protected = true") + dedicated("beta"))
    plan = make_plan(manifest_from(HEAD + dedicated("beta")), state, prune=True)
    assert not [c for c in plan.changes if c.action is Action.DELETE]
    assert [d.code for d in plan.diagnostics.warnings] == ["protected-orphan"]


def test_a_tenant_filter_plans_only_that_tenant_and_the_stamp_account_it_needs_whole() -> None:
    text = HEAD + stamp_block() + on_stamp("one") + on_stamp("two") + dedicated("acme")
    plan = make_plan(manifest_from(text), ObservedState(), tenants=["two"])
    assert sorted(_by_address(plan)) == [
        "resource-group.00000000-0000-0000-0000-000000000001.rg-tenants",
        "stamp.eu1.account.01",
        "stamp.eu1.deployment.01.mini",
        "tenant.two.deployment.chat",
    ]


def test_the_same_inputs_always_give_the_same_plan() -> None:
    text = HEAD + stamp_block(per_account=2) + "".join(on_stamp(t) for t in ("cc", "aa", "bb")) + dedicated("zz")
    assert make_plan(manifest_from(text), ObservedState()) == make_plan(manifest_from(text), ObservedState())


def test_a_removed_stamps_orphans_are_addressed_by_the_account_number_in_their_names() -> None:
    state = _state(HEAD + stamp_block() + on_stamp("one"))
    (stamp_account,) = [a for a in state.accounts.values() if a.ref.name == "ctso-eu1--01"]

    def named(name: str) -> Account:
        return dataclasses.replace(stamp_account, ref=dataclasses.replace(stamp_account.ref, name=name))

    # The third account, and one tagged for the stamp by hand but not named by tenantctl: no number.
    extra = {a.ref.key: a for a in (named("ctso-eu1--03"), named("eu1-spare"))}
    state = dataclasses.replace(state, accounts={**state.accounts, **extra})
    plan = make_plan(manifest_from(HEAD), state, prune=True)
    deleted = {str(c.address) for c in plan.changes if c.action is Action.DELETE and c.tenant is None}
    assert deleted == {
        "stamp.eu1.account.01",
        "stamp.eu1.account.03",
        "stamp.eu1.deployment.01.mini",
        "stamp.eu1.account@eu1-spare",
    }
