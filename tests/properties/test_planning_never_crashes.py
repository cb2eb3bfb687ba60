"""Property: a manifest that validates never crashes planning, or anything built on a plan.

For every generated manifest that ``parse_manifest`` accepts: plan from nothing, simulate the apply
and plan again (a no-op: convergence), round-trip the plan through JSON, render it as text, export
the routing table (JSON and APIM, with and without an observed state) and build the support views
(status, quota, inspect for every tenant) from the observed state.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tests.planning.simulate import applied

from .conftest import everything_built_on, load, props
from .invariants import describe
from .strategies import manifests

CHECK = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["token", "account", "deployments", "network"]),
        "status": st.sampled_from(["passed", "failed", "skipped"]),
        "summary": st.none() | st.text(max_size=20),
        "code": st.none() | st.sampled_from(["not-consented", "role-missing", "deployment-missing"]),
        "diagnosis": st.none() | st.text(max_size=20),
        "next_step": st.none() | st.text(max_size=20),
    }
)
# What the tenant-provided verifier leaves in ObservedState.byo (ByoReport.to_json() + "available").
VERIFICATION = st.one_of(
    st.fixed_dictionaries({"available": st.just(False), "reason": st.text(max_size=20)}),
    st.fixed_dictionaries(
        {
            "available": st.just(True),
            "ok": st.booleans(),
            "checks": st.lists(CHECK, max_size=4),
            "account": st.none() | st.fixed_dictionaries({"endpoint": st.none() | st.just("https://x.example/")}),
        }
    ),
)


@props(200)
@given(manifests(), st.data())
def test_a_valid_manifest_plans_applies_converges_and_renders(text: str, data: st.DataObject) -> None:
    manifest = load(text)
    byo = {
        t: data.draw(VERIFICATION, label=f"byo {t}")
        for t, spec in sorted(manifest.tenants.items())
        if spec.isolation.value == "tenant-provided" and data.draw(st.booleans(), label=f"verified {t}")
    }
    empty = ObservedState(byo=byo)
    plan = make_plan(manifest, empty)
    everything_built_on(manifest, empty)
    state = applied(empty, plan)
    everything_built_on(manifest, state)
    if not plan.is_blocked:  # apply refuses a blocked plan
        again = make_plan(manifest, state, prune=True, purge_deleted=True)
        assert not again.has_changes, describe(again)
