"""Property: a manifest that validates never crashes planning, or anything built on a plan.

For every generated manifest that ``parse_manifest`` accepts: plan from nothing, simulate the apply
and plan again (a no-op: convergence), round-trip the plan through JSON, render it as text, export
the routing table (JSON and APIM, with and without an observed state) and build the support views
(status, quota, inspect for every tenant) from the observed state.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given

from tenantctl.inspection.build import build_report
from tenantctl.inspection.fleet import fleet_status, quota_report
from tenantctl.inspection.observe import QuotaObservation, TenantObservation
from tenantctl.manifest.model import Manifest
from tenantctl.observed import ObservedState
from tenantctl.planning import make_plan
from tenantctl.planning.serialize import plan_from_json, plan_to_json
from tenantctl.planning.text import plan_lines
from tenantctl.routing import routing_for, routing_to_apim, routing_to_json
from tests.planning.simulate import applied

from .conftest import load, props
from .invariants import describe
from .strategies import manifests


def _everything_built_on(manifest: Manifest, observed: ObservedState) -> None:
    plan = make_plan(manifest, observed, prune=True)
    again = plan_from_json(plan_to_json(plan))
    assert again == plan
    assert plan_to_json(again) == plan_to_json(plan)
    assert all(isinstance(line, str) for line in plan_lines(plan))
    for table in (routing_for(manifest), routing_for(manifest, observed)):
        routing_to_json(table)
        routing_to_apim(table)
    fleet_status(manifest, plan)
    quota_report(manifest, QuotaObservation(tuple(observed.accounts.values()), dict(observed.usages), {}))
    for tenant_id in manifest.tenants:
        ref = next(
            (c.account for c in plan.for_tenant(tenant_id) if c.account is not None and c.kind.value == "account"),
            None,
        )
        build_report(manifest, tenant_id, TenantObservation(observed, ref), plan, today=date(2026, 11, 22))


@props(120)
@given(manifests())
def test_a_valid_manifest_plans_applies_converges_and_renders(text: str) -> None:
    manifest = load(text)
    empty = ObservedState()
    plan = make_plan(manifest, empty)
    _everything_built_on(manifest, empty)
    state = applied(empty, plan)
    _everything_built_on(manifest, state)
    if not plan.is_blocked:  # apply refuses a blocked plan
        again = make_plan(manifest, state, prune=True, purge_deleted=True)
        assert not again.has_changes, describe(again)
