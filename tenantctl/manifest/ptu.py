"""Provisioned throughput (PTU) deployment sizes per model: minimum and scale increment (pure validation).

Azure refuses a provisioned deployment below the model's minimum or off its increment. Figures from
Learn "Provisioned throughput units onboarding" (the minimum / increment table,
https://learn.microsoft.com/azure/ai-services/openai/how-to/provisioned-throughput-onboarding):
global and data-zone provisioned deployments start at 15 PTU and grow by 5 for every model listed;
regional provisioned (ProvisionedManaged) ones start at 50 and grow by 50 for gpt-4o and gpt-4.1, and
at 25 by 25 for gpt-4o-mini, gpt-4.1-mini and o3-mini.  Models not in the table are left to Azure
(its catalogue's capacity range is checked by plan).

A provisioned tenant deployment may name a spill-over: Azure sends the calls its PTUs cannot take
(non-200, e.g. 429) to a standard deployment of the same model and version on the same account, of
the same data processing level (global -> GlobalStandard, data zone -> DataZoneStandard), for all
requests or per request (header ``x-ms-spillover-deployment``), per Learn "Manage traffic with
spillover for provisioned deployments"
(https://learn.microsoft.com/azure/ai-services/openai/how-to/spillover-traffic-management).  The
routing export carries the order so the gateway can set that header or retry itself.
"""

from __future__ import annotations

from tenantctl.manifest.locate import Loc, format_path
from tenantctl.manifest.model import PROVISIONED_SKUS, DeploymentSpec, Manifest, ResolvedDeployment
from tenantctl.manifest.report import Reporter

__all__ = ["PTU_SIZES", "check_ptu", "ptu_size", "spillover_pairs"]

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


# The standard deployment type with the same data processing level as each provisioned one.
_SPILL_SKU = {
    "ProvisionedManaged": "Standard",
    "GlobalProvisionedManaged": "GlobalStandard",
    "DataZoneProvisionedManaged": "DataZoneStandard",
}


def spillover_pairs(manifest: Manifest, tenant_id: str) -> dict[str, str]:
    """Provisioned deployment -> its standard spill-over deployment (logical names), for one tenant."""
    return {spec.name: spec.spillover for spec in manifest.tenants[tenant_id].deployments if spec.spillover is not None}


def _check_spillover(manifest: Manifest, tenant_id: str, report: Reporter) -> None:
    """A spill-over names another of the tenant's deployments, standard, behind a provisioned one."""
    specs = manifest.tenants[tenant_id].deployments
    resolved = {d.name: d for d in (manifest.resolve(s) for s in specs) if d is not None}
    for index, spec in enumerate(specs):
        if spec.spillover is None:
            continue
        loc: Loc = ("tenants", tenant_id, "deployments", index, "spillover")
        primary, spill = resolved.get(spec.name), resolved.get(spec.spillover)
        if spill is None or spec.spillover == spec.name:
            report.error(
                "unknown-spillover",
                f"tenant {tenant_id!r} deployment {spec.name!r}: spillover {spec.spillover!r} is not another of "
                "its deployments",
                loc,
                detail="Add a standard deployment for the overflow, e.g. "
                '{ name = "chat-spill", sku = "GlobalStandard", capacity = 10 }, and name it here.',
            )
        elif primary is not None and primary.sku not in PROVISIONED_SKUS:
            report.error(
                "invalid-spillover",
                f"tenant {tenant_id!r} deployment {spec.name!r} is {primary.sku}, not provisioned: only a PTU "
                "deployment spills over (Azure answers 429 when its PTUs are busy)",
                loc,
            )
        elif primary is not None and (
            spill.sku != _SPILL_SKU[primary.sku] or (spill.model, spill.version) != (primary.model, primary.version)
        ):
            # Azure spills over only to a standard deployment of the same model and version, on the same
            # account, with the same data processing level (Learn "Manage traffic with spillover").
            report.error(
                "invalid-spillover",
                f"tenant {tenant_id!r}: spill-over deployment {spill.name!r} is {spill.model} {spill.version} "
                f"{spill.sku}; {spec.name!r} ({primary.sku}) spills over only to {primary.model} {primary.version} "
                f"{_SPILL_SKU[primary.sku]}",
                loc,
            )


def check_ptu(manifest: Manifest, report: Reporter) -> None:
    """A ``ptu-size`` error per provisioned deployment off its model's minimum or increment, and the
    tenants' spill-over deployments."""
    for tenant_id in manifest.tenants:
        _check_spillover(manifest, tenant_id, report)
        own = bool(manifest.tenants[tenant_id].deployments)
        for index, spec in enumerate(manifest.tenant_deployment_specs(tenant_id)):
            d = manifest.resolve(spec)
            if d is not None:
                loc: Loc = ("tenants", tenant_id, "deployments", index) if own else ("defaults", "deployments", index)
                _check(d, f"tenant {tenant_id!r} deployment {d.name!r}", loc, report)
    shared: list[tuple[Loc, DeploymentSpec]] = [
        (("defaults", "deployments", i), s) for i, s in enumerate(manifest.defaults.deployments)
    ]
    shared += [
        (("stamps", sid, "deployments", i), s)
        for sid, st in manifest.stamps.items()
        for i, s in enumerate(st.deployments)
    ]
    for where, spec in shared:
        if spec.spillover is not None:
            report.error(
                "invalid-spillover",
                f"{format_path(where)}: a spill-over is named for the tenant: set it in the tenant's own deployments",
                (*where, "spillover"),
            )
    for stamp_id, stamp in manifest.stamps.items():
        for index, spec in enumerate(stamp.deployments):
            d = manifest.resolve(spec, use_defaults=False)
            if d is not None:
                _check(
                    d, f"stamp {stamp_id!r} deployment {d.name!r}", ("stamps", stamp_id, "deployments", index), report
                )
