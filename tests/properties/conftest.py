"""Helpers for the property tests: load generated text, simulate apply, the settings profile."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, assume, settings

from tenantctl.export import routing_for, routing_to_apim, routing_to_json
from tenantctl.inspection.build import build_report
from tenantctl.inspection.fleet import fleet_status, quota_report
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState, QuotaObservation, TenantObservation
from tenantctl.planning import make_plan
from tenantctl.planning.planner import draft_plan
from tenantctl.planning.serialize import plan_from_json, plan_to_json
from tenantctl.planning.text import plan_lines

from .strategies import EXAMPLES

__all__ = ["everything_built_on", "load", "props"]


def props(default: int) -> settings:
    """Settings for one property: ``default`` examples, or TENANTCTL_FUZZ_EXAMPLES when set."""
    return settings(
        max_examples=EXAMPLES or default,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


def load(text: str) -> Manifest:
    """The manifest if ``parse_manifest`` accepts ``text`` without errors; otherwise the example is dropped."""
    result = parse_manifest(text)
    # parse_manifest turns its own crashes into an "internal" diagnostic: that is a bug, not a filter.
    assert not [d for d in result.diagnostics.errors if d.code == "internal"], result.diagnostics.errors
    assume(result.manifest is not None)
    assert result.manifest is not None
    return result.manifest


def everything_built_on(manifest: Manifest, observed: ObservedState, **flags: bool) -> None:
    """Plan, round-trip the plan through JSON, render it, export routing, build status/quota/inspect: no raise."""
    draft_plan(manifest, observed).details_needed()
    draft_plan(manifest, observed, tenants=sorted(manifest.tenants)[:1], purge_deleted=True).details_needed()
    plan = make_plan(manifest, observed, prune=True, **flags)
    again = plan_from_json(plan_to_json(plan))
    assert again == plan
    assert plan_to_json(again) == plan_to_json(plan)
    assert all(isinstance(line, str) for line in plan_lines(plan))
    for table in (routing_for(manifest), routing_for(manifest, observed)):
        routing_to_json(table)
        routing_to_apim(table)
    fleet_status(manifest, plan, verifications=observed.byo)
    quota_report(manifest, QuotaObservation(tuple(observed.accounts.values()), dict(observed.usages), {}))
    for tenant_id in manifest.tenants:
        ref = next(
            (c.account for c in plan.for_tenant(tenant_id) if c.account is not None and c.kind.value == "account"),
            None,
        )
        verification = observed.byo.get(tenant_id)
        build_report(
            manifest,
            tenant_id,
            TenantObservation(observed, ref),
            plan,
            today=date(2026, 11, 22),
            verification=verification,
        )
