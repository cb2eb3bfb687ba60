"""Who runs which model version where: every deployment the manifest declares, by owner (pure).

An *owner* is what an upgrade edits: a tenant that owns deployments (dedicated, dedicated-deployment)
or a stamp (its shared deployments, ``stamp:<id>``).  Shared tenants own nothing in Azure: they
ride on their stamp's shared deployments, so they are listed as riders of those and move with
the stamp.  Tenant-provided accounts are the tenant's own: tenantctl never changes their models.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tenantctl.manifest.model import Isolation, Manifest

__all__ = ["STAMP_OWNER_PREFIX", "ModelUse", "model_uses", "stamp_owner"]

STAMP_OWNER_PREFIX = "stamp:"


def stamp_owner(stamp_id: str) -> str:
    """The owner id of a stamp's shared deployments, as ``--wave`` names it."""
    return f"{STAMP_OWNER_PREFIX}{stamp_id}"


@dataclass(frozen=True)
class ModelUse:
    """One declared deployment of a model version (or, ``rider`` set, a shared tenant using one)."""

    owner: str  # tenant id, or stamp:<id>
    deployment: str
    model: str
    version: str
    sku: str
    subscription_id: str
    region: str
    version_upgrade_option: str
    isolation: str  # the tenant's isolation model, or "stamp"
    upgrade_policy: str  # follow-default | pinned | manual (stamps follow the default)
    stamp: str | None = None
    rider: str | None = None  # a shared tenant whose budget covers this stamp deployment

    @property
    def tenant(self) -> str | None:
        return self.rider or (None if self.owner.startswith(STAMP_OWNER_PREFIX) else self.owner)


def model_uses(manifest: Manifest) -> list[ModelUse]:
    """Every deployment the manifest declares, then the shared tenants riding on stamp deployments."""
    out: list[ModelUse] = []
    for tenant_id, tenant in sorted(manifest.tenants.items()):
        if tenant.isolation is Isolation.DEDICATED:
            subscription = manifest.provider.subscription_id
        elif tenant.isolation is Isolation.DEDICATED_DEPLOYMENT and tenant.stamp in manifest.stamps:
            subscription = manifest.stamp_subscription(tenant.stamp)
        else:
            continue
        region = manifest.tenant_location(tenant_id)
        for d in manifest.resolved_deployments(tenant_id):
            out.append(
                ModelUse(
                    tenant_id,
                    d.name,
                    d.model,
                    d.version,
                    d.sku,
                    subscription,
                    region,
                    d.version_upgrade_option,
                    tenant.isolation.value,
                    tenant.upgrade_policy,
                    tenant.stamp if tenant.isolation is Isolation.DEDICATED_DEPLOYMENT else None,
                )
            )
    for stamp_id, stamp in sorted(manifest.stamps.items()):
        subscription = manifest.stamp_subscription(stamp_id)
        riders = sorted(
            (tid, manifest.tenants[tid].shared_deployments)
            for tid in manifest.stamp_tenants.get(stamp_id, ())
            if manifest.tenants[tid].isolation is Isolation.SHARED
        )
        for d in manifest.stamp_deployments(stamp_id):
            use = ModelUse(
                stamp_owner(stamp_id),
                d.name,
                d.model,
                d.version,
                d.sku,
                subscription,
                stamp.location,
                d.version_upgrade_option,
                "stamp",
                "follow-default",
                stamp_id,
            )
            out.append(use)
            # A budget that names no deployments covers all of the stamp's (desired.py does the same).
            out += [
                dataclasses.replace(use, rider=tid, isolation=Isolation.SHARED.value)
                for tid, covered in riders
                if not covered or d.name in covered
            ]
    return out
