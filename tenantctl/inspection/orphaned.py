"""``inspect`` of a tenant the manifest no longer names, while Azure still holds what is tagged for it (pure).

Removing a tenant from the manifest does not remove it from Azure: its account and deployments
stay, tagged ``tenantctl-tenant=<id>``, until ``apply --prune`` deletes them, and a protected
tenant's stay for good.  Support staff asked about such a tenant need its resources and their
fate, not "unknown tenant".  The fate is the planner's (:attr:`Plan.orphans`), never re-derived.
"""

from __future__ import annotations

from datetime import date

from tenantctl import naming
from tenantctl.inspection.build import deployment_view
from tenantctl.inspection.drift import tenant_drift
from tenantctl.inspection.report import Placement, TenantReport
from tenantctl.inspection.state import State
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.planning.model import OrphanFate, Plan
from tenantctl.resources import Account

__all__ = ["orphaned_report"]


def orphaned_report(
    manifest: Manifest, observed: ObservedState, plan: Plan, tenant_id: str, *, today: date
) -> TenantReport | None:
    """The report of a removed tenant from a full plan; None when Azure holds nothing tagged for it."""
    orphans = [o for o in plan.orphans if o.tenant == tenant_id]
    if not orphans:
        return None
    fates = {(o.account.key, o.name.lower()): o.fate for o in orphans if o.account is not None}
    accounts = [
        a
        for o in orphans
        if o.account is not None and o.kind.value == "account" and (a := observed.accounts.get(o.account.key))
    ]
    home: Account | None = accounts[0] if accounts else None
    if home is None:  # deployments on a stamp account: that account is where it lives
        key = next((o.account.key for o in orphans if o.account is not None), "")
        home = observed.accounts.get(key)
    deployments = []
    for key in sorted({o.account.key for o in orphans if o.account is not None}):
        for d in sorted(observed.deployments.get(key, ()), key=lambda x: x.name):
            fate = fates.get((key, d.name.lower()))
            if fate is None:
                continue
            name = d.name.removeprefix(naming.tenant_deployment_name(tenant_id, ""))
            view = deployment_view(d, name, d.name, (), today, observed=True, in_manifest=False, fate=fate.value)
            deployments.append(view)
    placement = Placement()
    tags = None
    if home is not None:
        r = home.ref
        stamp = home.tags.get(naming.TAG_STAMP)
        placement = Placement(r.subscription_id, r.resource_group, r.name, home.location, stamp, r.id, True)
        tags = dict(home.tags) if home.tags.get(naming.TAG_TENANT) == tenant_id else None
    return TenantReport(
        tenant=tenant_id,
        display_name=None,
        isolation=next((o.isolation for o in orphans if o.isolation), "unknown"),
        protected=any(o.fate is OrphanFate.PROTECTED for o in orphans),
        residency=None,
        state=State.NOT_IN_MANIFEST.value,
        placement=placement,
        endpoint=home.endpoint if home is not None and tags is not None else None,
        deployments=tuple(deployments),
        today=today,
        drift=tenant_drift(manifest, plan, tenant_id).views,
        azure_tags=tags,
        in_manifest=False,
    )
