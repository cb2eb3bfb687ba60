"""Read-only views for support staff and SREs: ``inspect`` one tenant, ``status`` of the fleet, ``quota``.

Each verb is observe (read-only, scoped to what it shows) -> the planner where drift matters ->
a pure builder of plain records that render/ turns into tables or JSON.  Nothing here writes to
Azure, imports rich/typer, or reads the clock (``today`` is passed in).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from tenantctl.cloud.port import CloudPort
from tenantctl.diagnostics import Diagnostic, Diagnostics
from tenantctl.errors import UsageError
from tenantctl.inspection.build import build_report
from tenantctl.inspection.fleet import FleetStatus, QuotaReport, fleet_status, quota_report
from tenantctl.inspection.orphaned import orphaned_report
from tenantctl.inspection.report import TenantReport
from tenantctl.inspection.state import State, relevant_errors
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.observation import (
    ObservedState,
    TenantObservation,
    observe_accounts,
    observe_catalogues,
    observe_quota,
    observe_tenant,
)
from tenantctl.planning.model import Plan
from tenantctl.planning.retirement import retiring_deployments

__all__ = [
    "FleetStatus",
    "Inspection",
    "QuotaReport",
    "State",
    "TenantReport",
    "Verifier",
    "check_tenant",
    "fleet_retirements",
    "fleet_status",
    "inspect_tenant",
    "inspection_of",
    "observe_quota",
    "quota_report",
]

# Runs the tenant-provided verifier for one tenant and returns its JSON, with "available".
Verifier = Callable[[Manifest, str], Mapping[str, Any]]


@dataclass(frozen=True)
class Inspection:
    report: TenantReport
    diagnostics: Diagnostics


def check_tenant(manifest: Manifest, tenant_id: str, *, also: Iterable[str] = ()) -> None:
    """UsageError (exit 1) for a tenant the manifest does not name, with the closest names.

    ``also`` are more names to suggest: tenants removed from the manifest that Azure still holds.
    """
    if tenant_id in manifest.tenants:
        return
    close = difflib.get_close_matches(tenant_id, sorted({*manifest.tenants, *also}), n=3, cutoff=0.5)
    hint = f"Did you mean {', '.join(close)}?" if close else "See `tenantctl status` for the tenants."
    raise UsageError(f"unknown tenant '{tenant_id}'", code="unknown-tenant", hint=hint)


def _inspect_removed(manifest: Manifest, cloud: CloudPort, tenant_id: str, *, today: date) -> Inspection:
    """A tenant the manifest does not name: its resources in Azure and their fate, or ``unknown-tenant``.

    Only a look at every managed account tells whether anything is tagged for it, so this costs
    ``plan``'s first observation step (O(accounts)); a typo is then refused with the close names.
    """
    from tenantctl.planning import make_plan

    observed = observe_accounts(manifest, cloud)
    plan = make_plan(manifest, observed)
    report = orphaned_report(manifest, observed, plan, tenant_id, today=today)
    if report is None:
        check_tenant(manifest, tenant_id, also={o.tenant for o in plan.orphans if o.tenant})
        raise AssertionError("unreachable: check_tenant refuses a tenant the manifest does not name")
    diags = Diagnostics([d for d in plan.diagnostics if d.tenant == tenant_id])
    return Inspection(report, diags)


def inspect_tenant(
    manifest: Manifest, cloud: CloudPort, tenant_id: str, *, today: date, verifier: Verifier | None = None
) -> Inspection:
    """Everything about one tenant, read-only: its resources, their health, drift and leftovers.

    A tenant the manifest no longer names is shown when Azure holds resources tagged for it (with
    what apply does to them); otherwise it is refused as ``unknown-tenant`` with the close names.
    """
    if tenant_id not in manifest.tenants:
        return _inspect_removed(manifest, cloud, tenant_id, today=today)
    observation = observe_tenant(manifest, cloud, tenant_id)
    verification = None
    if manifest.tenants[tenant_id].isolation is Isolation.TENANT_PROVIDED and verifier is not None:
        verification = verifier(manifest, tenant_id)
    return inspection_of(manifest, observation, tenant_id, today=today, verification=verification)


def inspection_of(
    manifest: Manifest,
    observation: TenantObservation,
    tenant_id: str,
    *,
    today: date,
    verification: Mapping[str, Any] | None = None,
) -> Inspection:
    """The inspection of a tenant the manifest names, from what was observed (pure).

    Drift is the planner's, on the observation: :mod:`tenantctl.inspection.drift`, as ``status``.
    """
    from tenantctl.planning import make_plan

    tenant = manifest.tenants[tenant_id]
    if tenant.isolation is Isolation.TENANT_PROVIDED:
        plan = Plan(changes=())
    elif tenant.isolation is Isolation.SHARED:
        # A shared tenant's health is its stamp's: plan everything, keep the stamp's changes.
        plan = make_plan(manifest, observation.state, today=today)
    else:
        plan = make_plan(manifest, observation.state, tenants=[tenant_id], today=today)
    report = build_report(manifest, tenant_id, observation, plan, today=today, verification=verification)
    diags = Diagnostics(relevant_errors(manifest, tenant_id, plan))
    shown = {d.azure_name.lower() for d in report.deployments}
    state = observation.state
    host = observation.account.key if observation.account is not None else None
    running = {host: state.deployments.get(host, ())} if host is not None else {}
    for r in retiring_deployments(running, state.accounts, state.models, plan.changes, today=today):
        mine = r.tenant == tenant_id or (tenant.isolation is Isolation.SHARED and r.tenant is None)
        if mine and r.deployment.name.lower() in shown:
            diags.append(r.diagnostic())
    return Inspection(report, diags)


def fleet_retirements(cloud: CloudPort, observed: ObservedState, plan: Plan, *, today: date) -> list[Diagnostic]:
    """``status``'s retirement warnings: every deployment Azure has or the plan creates, retiring soon.

    A no-op plan reads no model catalogue, so the catalogue of each region hosting deployments is
    read here (one request per region, none for regions the plan already read).
    """
    regions = {(a.ref.subscription_id, a.location) for k, a in observed.accounts.items() if observed.deployments.get(k)}
    models = {**observed.models, **observe_catalogues(cloud, regions - set(observed.models))}
    found = retiring_deployments(observed.deployments, observed.accounts, models, plan.changes, today=today)
    return [r.diagnostic() for r in found]
