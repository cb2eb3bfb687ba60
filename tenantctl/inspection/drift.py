"""The one drift engine: a tenant's drift is the plan's changes for it, and its orphans (pure).

``plan``, ``status`` and ``inspect`` all tell drift from one :class:`~tenantctl.planning.model.Plan`
made by :func:`~tenantctl.planning.make_plan` on the same kind of observation (``inspect``'s
scoped observation reads, for the tenant's accounts, what ``plan``'s reads).  Nothing here diffs:
a second, divergent diff is how a blocklist term added in Azure once showed in ``plan`` and not in
``inspect``.  Per tenant:

* the changes apply would make for it (create, update, replace, restore), field by field: the
  same records ``plan`` prints (a shared tenant owns nothing: its stamp's changes are its own);
* its orphans: resources tagged for it (or, for a shared tenant, for its stamp) that the manifest
  no longer names, with what apply does to them (:class:`~tenantctl.planning.model.OrphanFate`).
  A planned DELETE (``--prune``) is shown once, as its orphan.

:class:`DriftIndex` groups a plan once, so ``status`` of 1,000 tenants is one pass over the plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tenantctl import naming
from tenantctl.inspection.report import DriftField, DriftView
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.manifest.shared_accounts import shared_account
from tenantctl.planning.model import Action, Change, Orphan, OrphanFate, Plan
from tenantctl.resources import AccountRef

__all__ = ["DriftIndex", "TenantDrift", "change_view", "orphan_view", "tenant_drift"]


def change_view(change: Change) -> DriftView:
    """A change as drift: its address, action and each field (manifest vs Azure)."""
    fields = tuple(DriftField(f.name, f.after, f.before, f.forces_replace) for f in change.changed_fields)
    return DriftView(
        str(change.address),
        change.kind.value,
        change.action.value,
        change.action.symbol,
        change.reason,
        change.outage,
        fields,
    )


def orphan_view(orphan: Orphan) -> DriftView:
    """An orphan as drift: in Azure, tagged as ours, not in the manifest; ``fate`` says what apply does."""
    deleted = orphan.fate is OrphanFate.DELETED
    return DriftView(
        str(orphan.address),
        orphan.kind.value,
        Action.DELETE.value if deleted else "keep",
        Action.DELETE.symbol if deleted else "=",
        f"{orphan.name} is not in the manifest: {orphan.fate.describe}",
        None,
        (),
        fate=orphan.fate.value,
    )


@dataclass(frozen=True)
class TenantDrift:
    """What decides one tenant's state and drift: its relevant changes (no-ops included) and orphans."""

    changes: tuple[Change, ...]
    orphans: tuple[Orphan, ...] = ()

    @property
    def pending(self) -> tuple[Change, ...]:
        """The changes apply would make for the tenant (deletes are shown as orphans)."""
        return tuple(c for c in self.changes if c.action.is_change and c.action is not Action.DELETE)

    @property
    def views(self) -> tuple[DriftView, ...]:
        return tuple(change_view(c) for c in self.pending) + tuple(orphan_view(o) for o in self.orphans)


class DriftIndex:
    """A plan's changes and orphans grouped by tenant and by stamp, in one pass."""

    def __init__(self, plan: Plan) -> None:
        self.by_tenant: dict[str, list[Change]] = defaultdict(list)
        self.by_stamp: dict[str, list[Change]] = defaultdict(list)
        self.orphans_by_tenant: dict[str, list[Orphan]] = defaultdict(list)
        self.orphans_by_stamp: dict[str, list[Orphan]] = defaultdict(list)
        for c in plan.changes:
            if c.tenant is not None:
                self.by_tenant[c.tenant].append(c)
            elif c.stamp is not None:
                self.by_stamp[c.stamp].append(c)
        for o in plan.orphans:
            if o.tenant is not None:
                self.orphans_by_tenant[o.tenant].append(o)
            elif o.stamp is not None:
                self.orphans_by_stamp[o.stamp].append(o)

    def orphaned_tenants(self, manifest: Manifest) -> list[str]:
        """Tenants Azure holds resources of (tagged for this manifest) that the manifest no longer names."""
        return sorted(t for t in self.orphans_by_tenant if t not in manifest.tenants)

    def of(self, manifest: Manifest, tenant_id: str) -> TenantDrift:
        """The tenant's drift; a tenant the manifest does not name has only orphans (and their deletes)."""
        tenant = manifest.tenants.get(tenant_id)
        orphans = tuple(self.orphans_by_tenant.get(tenant_id, ()))
        if tenant is not None and tenant.isolation is Isolation.SHARED:
            # A shared tenant's service is its stamp account (its pin): that account's changes and orphans
            # are its drift, and a change on another account of the stamp is not (a grown --03 is not s1's).
            stamp = tenant.stamp or ""
            home = naming.stamp_account_name(
                manifest.provider.name_prefix, stamp, shared_account(manifest, tenant_id)
            ).lower()

            def on_home(account: AccountRef | None) -> bool:
                return account is None or account.name.lower() == home

            return TenantDrift(
                tuple(c for c in self.by_stamp.get(stamp, ()) if on_home(c.account)),
                tuple(o for o in self.orphans_by_stamp.get(stamp, ()) if on_home(o.account)),
            )
        return TenantDrift(tuple(self.by_tenant.get(tenant_id, ())), orphans)


def tenant_drift(manifest: Manifest, plan: Plan, tenant_id: str) -> TenantDrift:
    """One tenant's drift from ``plan`` (for many tenants, build one :class:`DriftIndex`)."""
    return DriftIndex(plan).of(manifest, tenant_id)
