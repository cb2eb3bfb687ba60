"""Provisioned throughput (PTU) deployment sizes per model: minimum and scale increment (pure validation).

Azure refuses a provisioned deployment below the model's minimum or off its increment. Figures from
Learn "Provisioned throughput units onboarding" (the minimum / increment table,
https://learn.microsoft.com/azure/ai-services/openai/how-to/provisioned-throughput-onboarding):
global and data-zone provisioned deployments start at 15 PTU and grow by 5 for every model listed;
regional provisioned (ProvisionedManaged) ones start at 50 and grow by 50 for gpt-4o and gpt-4.1, and
at 25 by 25 for gpt-4o-mini, gpt-4.1-mini and o3-mini.  Models not in the table are left to Azure
(its catalogue's capacity range is checked by plan).
"""

from __future__ import annotations

from tenantctl.manifest.locate import Loc
from tenantctl.manifest.model import Manifest, ResolvedDeployment
from tenantctl.manifest.report import Reporter

__all__ = ["PTU_SIZES", "check_ptu", "ptu_size"]

_GLOBAL = (15, 5)
# model -> (minimum, increment) for ProvisionedManaged; Global/DataZone use _GLOBAL for these models.
_REGIONAL: dict[str, tuple[int, int]] = {
    "gpt-4o": (50, 50),
    "gpt-4.1": (50, 50),
    "gpt-4o-mini": (25, 25),
    "gpt-4.1-mini": (25, 25),
    "o3-mini": (25, 25),
}
PTU_SIZES: dict[tuple[str, str], tuple[int, int]] = {
    **{(model, "ProvisionedManaged"): size for model, size in _REGIONAL.items()},
    **{(model, "GlobalProvisionedManaged"): _GLOBAL for model in _REGIONAL},
    **{(model, "DataZoneProvisionedManaged"): _GLOBAL for model in _REGIONAL},
}


def ptu_size(model: str, sku: str) -> tuple[int, int] | None:
    """(minimum, increment) in PTU of a provisioned deployment of ``model``, or None when not known."""
    return PTU_SIZES.get((model.lower(), sku))


def _check(d: ResolvedDeployment, where: str, loc: Loc, report: Reporter) -> None:
    size = ptu_size(d.model, d.sku)
    if size is None:
        return
    minimum, step = size
    if d.capacity >= minimum and d.capacity % step == 0:
        return
    low = max(minimum, d.capacity - d.capacity % step)
    report.error(
        "ptu-size",
        f"{where}: {d.sku} {d.model} takes at least {minimum} PTU in steps of {step}, not {d.capacity}",
        (*loc, "capacity"),
        detail=f"Use {low} or {low + step} PTU (Learn: provisioned throughput onboarding, minimum and increment "
        "per model).",
    )


def check_ptu(manifest: Manifest, report: Reporter) -> None:
    """A ``ptu-size`` error per provisioned deployment off its model's minimum or increment."""
    for tenant_id in manifest.tenants:
        own = bool(manifest.tenants[tenant_id].deployments)
        for index, spec in enumerate(manifest.tenant_deployment_specs(tenant_id)):
            d = manifest.resolve(spec)
            if d is not None:
                loc: Loc = ("tenants", tenant_id, "deployments", index) if own else ("defaults", "deployments", index)
                _check(d, f"tenant {tenant_id!r} deployment {d.name!r}", loc, report)
    for stamp_id, stamp in manifest.stamps.items():
        for index, spec in enumerate(stamp.deployments):
            d = manifest.resolve(spec, use_defaults=False)
            if d is not None:
                _check(
                    d, f"stamp {stamp_id!r} deployment {d.name!r}", ("stamps", stamp_id, "deployments", index), report
                )
