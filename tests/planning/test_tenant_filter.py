"""``plan --tenant``: only the chosen tenants' changes, plus what their service needs to exist."""

from __future__ import annotations

from pathlib import Path

from tenantctl.manifest.load import load_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.planning.model import ResourceKind

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tenants.toml"


def _example() -> Manifest:
    result = load_manifest(EXAMPLE)
    assert result.manifest is not None
    return result.manifest


def test_a_shared_tenant_brings_its_stamp_account_and_shared_deployments() -> None:
    manifest = _example()
    tenant = next(t for t, spec in manifest.tenants.items() if spec.isolation.value == "shared")
    stamp = manifest.tenants[tenant].stamp
    plan = make_plan(manifest, ObservedState(), tenants=[tenant])
    kinds = {(c.kind, c.stamp) for c in plan.actionable}
    assert (ResourceKind.ACCOUNT, stamp) in kinds
    assert (ResourceKind.DEPLOYMENT, stamp) in kinds
    assert all(c.tenant in (None, tenant) for c in plan.actionable)
    # every dependency of a kept change is itself in the filtered plan
    addresses = {c.address for c in plan.actionable}
    assert all(set(c.depends_on) <= addresses for c in plan.actionable)


def test_a_dedicated_tenant_filter_leaves_other_tenants_alone() -> None:
    manifest = _example()
    plan = make_plan(manifest, ObservedState(), tenants=["contoso"])
    assert {c.tenant for c in plan.actionable} <= {"contoso", None}
    assert all(c.stamp is None for c in plan.actionable)
