"""Make-before-break for a model name or SKU change (successors.py), pure: phases, stickiness, quota."""

from __future__ import annotations

import dataclasses

import pytest

from tenantctl import naming
from tenantctl.desired import TAG_PROTECTED
from tenantctl.export.apim import routing_to_apim
from tenantctl.export.routing import build_routing, routing_to_json
from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.planning.migration import RETIRE_PENDING
from tenantctl.planning.model import Action, Plan
from tenantctl.planning.placement import placed_desired_state
from tenantctl.planning.successors import in_family, successor_name
from tenantctl.resources import QuotaUsage

from .conftest import HEAD, LOC, SUB, dedicated, manifest_from, on_stamp, stamp_block
from .simulate import applied

GPT41 = 'model = "gpt-4.1", version = "2025-04-14"'
FLEET = HEAD + stamp_block() + dedicated("acme") + on_stamp("globex", capacity=5)
FLEET += '\n[tenants.initech]\nisolation = "shared"\nstamp = "eu1"\ntpm = 1000\n'


def _plan(text: str, observed: ObservedState, **options: object) -> Plan:
    return make_plan(manifest_from(text), observed, **options)  # type: ignore[arg-type]


def _state(text: str) -> ObservedState:
    return applied(ObservedState(), _plan(text, ObservedState()))


def _deployments(plan: Plan) -> list[tuple[str, str, str]]:
    return [
        (str(c.address), c.action.value, (c.after or c.before).name)  # type: ignore[union-attr]
        for c in plan.changes
        if c.kind.value == "deployment" and (c.action.is_change or c.phase == 3)
    ]


def _routes(text: str, observed: ObservedState) -> dict[str, dict[str, object]]:
    manifest = manifest_from(text)
    desired, _ = placed_desired_state(manifest, observed)
    tenants: dict[str, dict[str, object]] = routing_to_json(build_routing(manifest, desired, observed))["tenants"]
    return tenants


def _apim(text: str, observed: ObservedState, tenant: str) -> str:
    manifest = manifest_from(text)
    desired, _ = placed_desired_state(manifest, observed)
    return routing_to_apim(build_routing(manifest, desired, observed))[tenant]


def _creating(state: ObservedState, name: str) -> ObservedState:
    """``state`` with the deployment ``name`` still Creating (Azure has it, not Succeeded yet)."""
    return dataclasses.replace(
        state,
        deployments={
            k: tuple(dataclasses.replace(d, provisioning_state="Creating") if d.name == name else d for d in v)
            for k, v in state.deployments.items()
        },
    )


def test_a_model_name_change_creates_a_successor_beside_the_old_deployment_which_keeps_serving() -> None:
    state = _state(FLEET)
    changed = FLEET.replace(
        'deployments = [{ name = "chat", capacity = 10 }]',
        f'deployments = [{{ name = "chat", capacity = 10, {GPT41} }}]',
    )
    plan = _plan(changed, state)
    assert plan.count(Action.REPLACE) == 0
    assert plan.count(Action.DELETE) == 0
    assert _deployments(plan) == [
        ("tenant.acme.deployment.chat", "create", "chat__gpt-4.1-globalstandard"),
        ("tenant.acme.deployment.chat@ctso-acme", "no-op", "chat"),
    ]
    create, kept = (c for c in plan.changes if c.tenant == "acme" and c.kind.value == "deployment")
    assert create.reason.startswith(
        "create successor chat__gpt-4.1-globalstandard beside chat (model gpt-4o -> gpt-4.1"
    )
    assert "old deployment keeps serving" in create.reason
    assert (create.phase, kept.phase, kept.reason) == (1, 3, RETIRE_PENDING)
    [warning] = [d for d in plan.diagnostics if d.code == "retire-pending"]
    assert "is not live yet" in warning.detail
    # Phase 1 applied but the successor is still Creating: the gateway keeps the old deployment.
    creating = _creating(applied(state, plan), "chat__gpt-4.1-globalstandard")
    acme = _routes(changed, creating)["acme"]
    assert (acme["deployments"], acme["ready"], acme["live"]) == ({"chat": "chat"}, True, "previous")
    assert acme["model_change"] == {
        "chat": {"from": "chat", "to": "chat__gpt-4.1-globalstandard", "change": "model gpt-4o -> gpt-4.1", "phase": 1}
    }
    assert '<set-variable name="deployment-chat" value="chat" />' in _apim(changed, creating, "acme")
    # ... and --retire deletes nothing while it is not live.
    assert _plan(changed, creating, retire=True).count(Action.DELETE) == 0


def test_once_the_successor_is_live_routing_switches_and_only_retire_deletes_the_old_one() -> None:
    state = _state(FLEET)
    changed = FLEET.replace(
        'deployments = [{ name = "chat", capacity = 10 }]',
        f'deployments = [{{ name = "chat", capacity = 10, {GPT41} }}]',
    )
    live = applied(state, _plan(changed, state))
    acme = _routes(changed, live)["acme"]
    assert (acme["deployments"], acme["ready"], acme["live"]) == (
        {"chat": "chat__gpt-4.1-globalstandard"},
        True,
        "target",
    )
    assert acme["model_change"]["chat"]["phase"] == 2  # type: ignore[index]
    assert '<set-variable name="deployment-chat" value="chat__gpt-4.1-globalstandard" />' in _apim(
        changed, live, "acme"
    )
    plan = _plan(changed, live)
    assert not plan.has_changes  # phase 2: nothing to do but retire
    [warning] = [d for d in plan.diagnostics if d.code == "retire-pending"]
    assert "run apply --retire" in warning.detail
    retire = _plan(changed, live, retire=True)
    [delete] = [c for c in retire.changes if c.action is Action.DELETE]
    assert (str(delete.address), delete.phase, delete.before.name) == (
        "tenant.acme.deployment.chat@ctso-acme",
        3,
        "chat",
    )  # type: ignore[union-attr]
    # Sticky: after the retirement the successor is the deployment; the next plan is a no-op.
    done = applied(live, retire)
    acme_left = {d.name for v in done.deployments.values() for d in v if d.tags.get(naming.TAG_TENANT) == "acme"}
    assert acme_left == {"chat__gpt-4.1-globalstandard"}
    again = _plan(changed, done)
    assert not again.has_changes
    assert not [d for d in again.diagnostics if d.code == "retire-pending"]
    assert _routes(changed, done)["acme"]["deployments"] == {"chat": "chat__gpt-4.1-globalstandard"}
    assert "model_change" not in _routes(changed, done)["acme"]
    # A later version or capacity change of the successor is an in-place update under its name ...
    bigger = changed.replace("capacity = 10, model", "capacity = 12, model")
    assert _deployments(_plan(bigger, done)) == [
        ("tenant.acme.deployment.chat", "update", "chat__gpt-4.1-globalstandard")
    ]
    # ... and a later model or SKU change makes a new successor, the current one its predecessor.
    sku = changed.replace("capacity = 10, model", 'capacity = 10, sku = "DataZoneStandard", model')
    assert _deployments(_plan(sku, done)) == [
        ("tenant.acme.deployment.chat", "create", "chat__gpt-4.1-datazonestandard"),
        ("tenant.acme.deployment.chat__gpt-4.1-globalstandard@ctso-acme", "no-op", "chat__gpt-4.1-globalstandard"),
    ]


def test_a_stamps_shared_deployment_and_a_dedicated_deployment_tenant_move_make_before_break() -> None:
    state = _state(FLEET)
    changed = FLEET.replace(
        'name = "mini", model = "gpt-4o-mini", version = "2024-07-18", sku = "DataZoneStandard"',
        'name = "mini", model = "gpt-4.1-mini", version = "2025-04-14", sku = "DataZoneStandard"',
    ).replace(
        'deployments = [{ name = "chat", capacity = 5 }]', f'deployments = [{{ name = "chat", capacity = 5, {GPT41} }}]'
    )
    plan = _plan(changed, state)
    assert plan.count(Action.REPLACE) == 0
    assert sorted(_deployments(plan)) == [
        ("stamp.eu1.deployment.01.mini", "create", "mini__gpt-4.1-mini-datazonestandard"),
        ("stamp.eu1.deployment.01.mini@ctso-eu1--01", "no-op", "mini"),
        ("tenant.globex.deployment.chat", "create", "globex--chat__gpt-4.1-globalstandard"),
        ("tenant.globex.deployment.chat@ctso-eu1--01", "no-op", "globex--chat"),
    ]
    creating = _creating(
        _creating(applied(state, plan), "mini__gpt-4.1-mini-datazonestandard"), "globex--chat__gpt-4.1-globalstandard"
    )
    routes = _routes(changed, creating)
    assert (routes["initech"]["deployments"], routes["initech"]["ready"]) == ({"mini": "mini"}, True)
    assert (routes["globex"]["deployments"], routes["globex"]["ready"]) == ({"chat": "globex--chat"}, True)
    live = applied(state, plan)
    routes = _routes(changed, live)
    assert routes["initech"]["deployments"] == {"mini": "mini__gpt-4.1-mini-datazonestandard"}
    assert routes["globex"]["deployments"] == {"chat": "globex--chat__gpt-4.1-globalstandard"}
    done = applied(live, _plan(changed, live, retire=True))
    assert not _plan(changed, done).has_changes
    left = {d.name for v in done.deployments.values() for d in v}
    assert left == {"mini__gpt-4.1-mini-datazonestandard", "globex--chat__gpt-4.1-globalstandard", "chat"}


def test_quota_counts_the_old_deployment_and_its_successor_during_the_overlap() -> None:
    state = _state(HEAD + dedicated("acme", capacity=20))
    sku = HEAD + dedicated("acme", capacity=20).replace("capacity = 20", 'capacity = 20, sku = "DataZoneStandard"')
    usages = (
        QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o", 20, 100),
        QuotaUsage(SUB, LOC, "OpenAI.DataZoneStandard.gpt-4o", 0, 100),
    )
    plan = _plan(sku, dataclasses.replace(state, usages={(SUB, LOC): usages}))
    assert {q.usage_name: (q.need, q.frees) for q in plan.quota} == {"OpenAI.DataZoneStandard.gpt-4o": (20, 0)}
    # A model change on the same line: the old deployment still holds its 20 while the new one needs 20.
    same_line = (QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o", 20, 30),)
    observed = dataclasses.replace(state, usages={(SUB, LOC): same_line})
    other = HEAD + dedicated("acme", capacity=20).replace("capacity = 20", 'capacity = 20, version = "2024-08-06"')
    assert not _plan(other, observed).is_blocked  # a version change frees nothing and needs nothing new
    mini = HEAD + dedicated("acme", capacity=20).replace(
        "capacity = 20", 'capacity = 20, model = "gpt-4o-mini", version = "2024-07-18"'
    )
    tight = (
        QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o", 20, 20),
        QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o-mini", 0, 19),
    )
    short = _plan(mini, dataclasses.replace(state, usages={(SUB, LOC): tight}))
    assert [d.code for d in short.diagnostics.errors] == ["quota-short"]


def test_a_same_named_deployment_that_is_not_ours_is_never_adopted_as_the_successor() -> None:
    state = _state(HEAD + dedicated("acme"))
    [(key, deployments)] = [(k, v) for k, v in state.deployments.items() if v]
    squatter = dataclasses.replace(deployments[0], name="chat__gpt-4.1-globalstandard", model="gpt-4.1", tags={})
    observed = dataclasses.replace(state, deployments={key: (*deployments, squatter)})
    plan = _plan(HEAD + dedicated("acme").replace("capacity = 10", f"capacity = 10, {GPT41}"), observed)
    assert plan.is_blocked
    assert [d.code for d in plan.diagnostics.errors] == ["not-ours"]
    assert not [c for c in plan.changes if c.action.is_destructive]


@pytest.mark.parametrize(
    ("base", "model", "sku"),
    [
        ("chat", "gpt-4.1", "GlobalStandard"),
        ("a" * 30 + "--" + "b" * 20, "gpt-4.1-mini", "DataZoneProvisionedManaged"),
        ("x" * 64, "gpt-4o", "Standard"),
    ],
)
def test_successor_names_are_deterministic_valid_and_at_most_64_characters(base: str, model: str, sku: str) -> None:
    name = successor_name(base, model, sku)
    assert name == successor_name(base, model, sku)
    assert naming.check_deployment_name(name) is None
    assert name != successor_name(base, model, "GlobalProvisionedManaged")
    assert in_family(name, base)  # found again by the next plan: the successor's name is sticky
    assert not in_family(name, "z" + base[1:])


def test_a_second_change_before_the_retirement_keeps_both_old_deployments_until_the_newest_is_live() -> None:
    state = _state(HEAD + dedicated("acme"))
    first = HEAD + dedicated("acme").replace("capacity = 10", f"capacity = 10, {GPT41}")
    live = applied(state, _plan(first, state))  # chat (gpt-4o) retire pending, chat__gpt-4.1-… serving
    second = first.replace("capacity = 10, model", 'capacity = 10, sku = "DataZoneStandard", model')
    plan = _plan(second, live, retire=True)  # --retire, but the newest successor does not exist yet
    assert plan.count(Action.DELETE) == 0
    assert _deployments(plan) == [
        ("tenant.acme.deployment.chat", "create", "chat__gpt-4.1-datazonestandard"),
        ("tenant.acme.deployment.chat@ctso-acme", "no-op", "chat"),
        ("tenant.acme.deployment.chat__gpt-4.1-globalstandard@ctso-acme", "no-op", "chat__gpt-4.1-globalstandard"),
    ]
    creating = _creating(applied(live, plan), "chat__gpt-4.1-datazonestandard")
    assert _routes(second, creating)["acme"]["deployments"] == {"chat": "chat__gpt-4.1-globalstandard"}
    done = applied(applied(live, plan), _plan(second, applied(live, plan), retire=True))
    acme = {d.name for v in done.deployments.values() for d in v if d.tags.get(naming.TAG_TENANT) == "acme"}
    assert acme == {"chat__gpt-4.1-datazonestandard"}
    assert not _plan(second, done).has_changes


def test_a_stamp_deployment_tagged_protected_by_hand_is_kept_at_retirement() -> None:
    state = _state(FLEET)
    changed = FLEET.replace('name = "mini", model = "gpt-4o-mini", version = "2024-07-18"', f'name = "mini", {GPT41}')
    live = applied(state, _plan(changed, state))
    guarded = {
        k: tuple(dataclasses.replace(d, tags={**d.tags, TAG_PROTECTED: "true"}) if d.name == "mini" else d for d in v)
        for k, v in live.deployments.items()
    }
    plan = _plan(changed, dataclasses.replace(live, deployments=guarded), retire=True)
    assert plan.count(Action.DELETE) == 0
    [kept] = [c for c in plan.changes if c.phase == 3]
    assert kept.reason.startswith("kept: tagged tenantctl-protected=true")
    assert _plan(changed, live, retire=True).count(Action.DELETE) == 1


def test_status_says_an_in_sync_tenant_still_keeps_its_old_deployment_until_retire() -> None:
    from tenantctl.inspection.fleet import fleet_status

    state = _state(FLEET)
    changed = FLEET.replace(
        'deployments = [{ name = "chat", capacity = 10 }]',
        f'deployments = [{{ name = "chat", capacity = 10, {GPT41} }}]',
    )
    live = applied(state, _plan(changed, state))
    rows = {r.tenant: r for r in fleet_status(manifest_from(changed), _plan(changed, live)).rows}
    assert rows["acme"].state == "in sync"
    assert rows["acme"].detail == f"1 old resource kept: {RETIRE_PENDING}"
    assert rows["globex"].detail == ""  # nothing of its own is waiting
    retired = applied(live, _plan(changed, live, retire=True))
    done = {r.tenant: r for r in fleet_status(manifest_from(changed), _plan(changed, retired)).rows}
    assert done["acme"].detail == ""
