"""Tenant-provided tenants in the plan: never a change, but their verification belongs in the review.

Apply never writes to a tenant-provided account, so a failed check is a warning, not a blocker: the
plan for every other tenant stays applicable, and ``tenantctl byo verify <tenant>`` (exit 1 on
failure) is the gate an onboarding pipeline uses. Input is ``ObservedState.byo``: per tenant the JSON
of :meth:`tenantctl.tenant_provided.ByoReport.to_json` with ``available``, or ``{"available": false, "reason"}``
when no provider-app credential was configured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.model import Isolation, Manifest

__all__ = ["verification_diagnostics"]


def verification_diagnostics(
    manifest: Manifest, reports: Mapping[str, Any], tenants: Iterable[str] | None = None
) -> Diagnostics:
    """One warning per failed check of each verified tenant-provided tenant; one per unverified tenant."""
    diags = Diagnostics()
    if not reports:
        return diags
    selected = set(tenants) if tenants is not None else None
    for tenant_id, spec in sorted(manifest.tenants.items()):
        if spec.isolation is not Isolation.TENANT_PROVIDED or (selected is not None and tenant_id not in selected):
            continue
        report = reports.get(tenant_id)
        if report is None:
            continue
        if not report.get("available", True):
            diags.warning(
                "byo-unverified",
                f"tenant {tenant_id}: tenant-provided account not verified: {report.get('reason', 'no credential')}",
                detail=str(report.get("hint") or ""),
                tenant=tenant_id,
            )
            continue
        for check in report.get("checks", ()):
            if check.get("status") != "failed":
                continue
            steps = " ".join(part for part in (check.get("diagnosis"), check.get("next_step")) if part)
            diags.warning(
                f"byo-{check.get('code') or check.get('name')}",
                f"tenant {tenant_id}: {check.get('summary', 'verification failed')}",
                detail=steps,
                tenant=tenant_id,
            )
    return diags
