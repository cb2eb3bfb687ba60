"""A stale saved plan names what changed: the addresses the saved and the fresh plan disagree on."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tenantctl.errors import StalePlanError
from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan, plan_from_json, plan_to_json
from tenantctl.planning.model import Plan
from tenantctl.planning.staleness import plan_differences
from tenantctl.reconcile import check_not_stale

from .conftest import HEAD, dedicated, manifest_from
from .simulate import applied

BOTH = HEAD + dedicated("acme", capacity=10) + dedicated("initech")


def _saved(plan: Plan) -> Plan:
    """As ``plan --out`` writes it and ``apply --plan`` reads it back."""
    return plan_from_json(json.loads(json.dumps(plan_to_json(plan), default=str)))


def test_a_saved_plan_compared_with_itself_after_a_json_round_trip_has_no_differences() -> None:
    plan = make_plan(manifest_from(BOTH), ObservedState())
    assert not plan_differences(_saved(plan), plan)


def test_resources_done_by_hand_or_changed_since_are_named_by_kind_of_difference() -> None:
    manifest = manifest_from(BOTH)
    saved = _saved(make_plan(manifest, ObservedState()))
    # Meanwhile someone created acme by hand, with another capacity; initech is untouched.
    by_hand = applied(ObservedState(), make_plan(manifest_from(HEAD + dedicated("acme", capacity=20)), ObservedState()))
    fresh = make_plan(manifest, by_hand)
    differences = plan_differences(saved, fresh)
    assert _texts(differences.different) == ("tenant.acme.deployment.chat",)  # create -> update of capacity
    assert "tenant.acme.account" in _texts(differences.removed)  # nothing left to do
    assert _texts(differences.added) == ()
    touched = _texts(differences.removed) + _texts(differences.different)
    assert not any(address.startswith("tenant.initech") for address in touched)


def test_a_resource_deleted_in_azure_since_the_plan_is_named_as_new() -> None:
    manifest = manifest_from(BOTH)
    state = applied(ObservedState(), make_plan(manifest, ObservedState()))
    saved = _saved(make_plan(manifest, state))
    assert not saved.has_changes
    gone = dataclasses.replace(
        state, deployments={k: v for k, v in state.deployments.items() if not k.endswith("acme")}
    )
    fresh = make_plan(manifest, gone)
    differences = plan_differences(saved, fresh)
    assert _texts(differences.added) == ("tenant.acme.deployment.chat",)
    assert (_texts(differences.removed), _texts(differences.different)) == ((), ())


def test_the_refusal_names_the_first_five_and_counts_the_rest() -> None:
    tenants = "".join(dedicated(f"t{n:02}") for n in range(8))
    manifest = manifest_from(HEAD + tenants)
    saved = _saved(make_plan(manifest, ObservedState()))
    fresh = make_plan(manifest, applied(ObservedState(), saved))
    assert saved.fingerprint != fresh.fingerprint
    with pytest.raises(StalePlanError) as caught:
        check_not_stale(saved, fresh)
    message = str(caught.value)
    total = len(saved.actionable)
    assert f"{total} planned changes differ now" in message
    assert message.count("(no longer planned)") == 5
    assert message.endswith(f"and {total - 5} more")
    assert "Azure changed" in message


def _texts(addresses: tuple[object, ...]) -> tuple[str, ...]:
    """The addresses as users read them (the comparison itself is on typed addresses)."""
    return tuple(str(a) for a in addresses)
