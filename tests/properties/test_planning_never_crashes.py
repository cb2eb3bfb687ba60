"""Property: a manifest that validates never crashes planning, or anything built on a plan.

For every generated manifest that ``parse_manifest`` accepts: plan from nothing, simulate the apply
and plan again (a no-op: convergence), round-trip the plan through JSON, render it as text, export
the routing table (JSON and APIM, with and without an observed state) and build the support views
(status, quota, inspect for every tenant) from the observed state.
"""

from __future__ import annotations

from hypothesis import given

from tenantctl.observed import ObservedState
from tenantctl.planning import make_plan
from tests.planning.simulate import applied

from .conftest import everything_built_on, load, props
from .invariants import describe
from .strategies import manifests


@props(200)
@given(manifests())
def test_a_valid_manifest_plans_applies_converges_and_renders(text: str) -> None:
    manifest = load(text)
    empty = ObservedState()
    plan = make_plan(manifest, empty)
    everything_built_on(manifest, empty)
    state = applied(empty, plan)
    everything_built_on(manifest, state)
    if not plan.is_blocked:  # apply refuses a blocked plan
        again = make_plan(manifest, state, prune=True, purge_deleted=True)
        assert not again.has_changes, describe(again)
