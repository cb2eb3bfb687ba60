"""plan.json round trips exactly; the fingerprint changes only when something the plan read changes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tenantctl.observation import ObservedState
from tenantctl.planning import fingerprint, make_plan, plan_from_json, plan_to_json
from tenantctl.planning.serialize import FORMAT_VERSION

from .conftest import HEAD, dedicated, manifest_from, on_stamp, stamp_block
from .simulate import applied

TEXT = HEAD + stamp_block() + on_stamp("one", extra='content_filter = { blocklist = ["x"] }') + dedicated("acme")


def _state() -> ObservedState:
    return applied(ObservedState(), make_plan(manifest_from(TEXT), ObservedState()))


def test_a_plan_with_every_kind_of_change_survives_json_text_exactly() -> None:
    state = _state()
    changed = (
        HEAD + stamp_block() + dedicated("acme", capacity=20, extra='location = "westeurope"')  # a region move replaces
    )
    plan = make_plan(manifest_from(changed + dedicated("new")), state, prune=True)
    assert {c.action.value for c in plan.changes} >= {"create", "replace", "delete", "no-op"}
    assert plan_from_json(json.loads(json.dumps(plan_to_json(plan)))) == plan


def test_the_json_carries_version_summary_fingerprint_and_quota_headroom() -> None:
    data = plan_to_json(make_plan(manifest_from(TEXT), ObservedState()))
    assert data["format_version"] == FORMAT_VERSION
    assert data["summary"]["create"] == len([c for c in data["changes"] if c["action"] == "create"])
    assert data["fingerprint"].startswith("sha256:")
    assert all("headroom" in q for q in data["quota"])
    assert data["changes"][0]["before"] is None
    assert data["changes"][0]["after"]["type"] == "ResourceGroup"


def test_an_unknown_format_version_is_refused() -> None:
    with pytest.raises(ValueError, match="format_version"):
        plan_from_json({"format_version": 99})


def test_the_observed_state_round_trips_through_json() -> None:
    state = _state()
    assert ObservedState.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_the_fingerprint_is_stable_and_ignores_what_azure_changes_by_itself() -> None:
    state = _state()
    again = ObservedState.from_json(json.loads(json.dumps(state.to_json())))
    assert fingerprint(state) == fingerprint(again)
    key, account = next(iter(state.accounts.items()))
    busy = dataclasses.replace(account, provisioning_state="Updating", endpoint="https://x.openai.azure.com/")
    assert fingerprint(dataclasses.replace(state, accounts={**state.accounts, key: busy})) == fingerprint(state)


def test_the_fingerprint_changes_when_a_planned_resource_changes() -> None:
    state = _state()
    key, deps = next((k, v) for k, v in state.deployments.items() if v)
    bigger = dataclasses.replace(deps[0], capacity=deps[0].capacity + 1)
    drifted = dataclasses.replace(state, deployments={**state.deployments, key: (bigger, *deps[1:])})
    assert fingerprint(drifted) != fingerprint(state)
    assert make_plan(manifest_from(TEXT), state).fingerprint == fingerprint(state)


def test_hand_written_observed_files_may_list_deployments_flat() -> None:
    state = _state()
    data = state.to_json()
    data["deployments"] = [d for per_account in data["deployments"].values() for d in per_account]
    assert ObservedState.from_json(data).deployments == state.deployments


def test_addresses_are_saved_as_the_text_users_see_and_a_foreign_one_is_refused() -> None:
    plan = make_plan(manifest_from(TEXT), ObservedState())
    data = plan_to_json(plan)
    assert [c["address"] for c in data["changes"]] == [str(c.address) for c in plan.changes]
    assert all(isinstance(a, str) for c in data["changes"] for a in c["depends_on"])
    data["changes"][1]["depends_on"] = ["tenant.acme.gateway"]
    with pytest.raises(ValueError, match=r"'tenant\.acme\.gateway' is not a tenantctl address"):
        plan_from_json(data)
