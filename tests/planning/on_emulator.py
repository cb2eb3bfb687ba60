"""Helpers for planning tests that observe the emulator: apply a manifest for real, count ARM requests.

The emulator is the only double of Azure: these go through the real Azure adapter (azure-mgmt SDK over
HTTPS) and the real executor.
"""

from __future__ import annotations

from tenantctl.cloud.azure import AzureCloud, connect_emulator
from tenantctl.emulator import Emulator
from tenantctl.execution.executor import apply_plan
from tenantctl.manifest.model import Manifest
from tenantctl.reconcile import plan_against


def subscriptions(manifest: Manifest) -> set[str]:
    return {manifest.provider.subscription_id, *(manifest.stamp_subscription(s) for s in manifest.stamps)}


def register(emulator: Emulator, *subscription_ids: str) -> None:
    """Make fixed subscriptions exist, with the provider as Owner (as ``--emulator`` mode does)."""
    for sub in sorted(set(subscription_ids)):
        emulator.add_subscription(sub, emulator.home_directory)
        emulator.assign_role(f"/subscriptions/{sub}", emulator.provider.object_id, "Owner")


def apply_manifest(manifest: Manifest, cloud: AzureCloud, *, parallelism: int = 10) -> None:
    """Plan against what the emulator has and apply it for real; every change must succeed."""
    _, plan = plan_against(manifest, cloud)
    assert not plan.is_blocked, plan.diagnostics
    result = apply_plan(plan, cloud, parallelism=parallelism)
    assert not result.failed, [(o.address, o.code, o.message) for o in result.failed]
    assert not result.skipped


def applied_cloud_for(emulator: Emulator, manifest: Manifest, *, parallelism: int = 10) -> AzureCloud:
    """An adapter on ``emulator`` after ``manifest`` was applied; the request counters start at zero."""
    register(emulator, *subscriptions(manifest))
    cloud = connect_emulator(emulator, polling_interval=0.02)
    apply_manifest(manifest, cloud, parallelism=parallelism)
    emulator.reset_counts()
    return cloud


def arm_requests(emulator: Emulator) -> dict[str, int]:
    """ARM requests by SDK operation since the last reset, with ``total`` (Entra sign-ins left out)."""
    counts = {op: n for op, n in emulator.request_counts().items() if not op.startswith("entra.")}
    assert counts.get("total", 0) == sum(n for op, n in counts.items() if op != "total")
    return counts
