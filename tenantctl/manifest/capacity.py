"""Capacity rules: SKU names, capacity units and bounds, shared budgets, account growth limits.

Capacity is in Azure's units: PTUs for provisioned SKUs, thousands of tokens per minute for all
others.  A shared tenant's ``tpm`` is in plain tokens per minute, so a stamp deployment of
capacity ``c`` carries ``c × 1,000 × overcommit`` TPM of budgets.
"""

from __future__ import annotations

import math
from collections import defaultdict

from tenantctl.manifest.locate import Loc
from tenantctl.manifest.model import (
    DEPLOYMENT_SKUS,
    PROVISIONED_SKUS,
    VERSION_UPGRADE_OPTIONS,
    DeploymentSpec,
    Isolation,
    Manifest,
)
from tenantctl.manifest.regions import REGIONS, Region
from tenantctl.manifest.report import Reporter, did_you_mean
from tenantctl.manifest.shared_accounts import budget_limit, budget_overflows, covered_deployments

__all__ = ["MAX_ACCOUNTS_PER_REGION", "check_capacity", "check_sku_region", "default_usage_name"]

MAX_ACCOUNTS_PER_REGION = 30  # Azure OpenAI accounts per region per subscription
_MAX_CAPACITY = 100_000  # PTUs per deployment (Azure's limit); for TPM units, 100M TPM is beyond any quota


def default_usage_name(sku: str, model: str) -> str:
    """The quota line a deployment draws from when the region's catalogue did not name it.

    Token quota is per model (``OpenAI.<sku>.<model>``); provisioned throughput quota is
    model-independent, one line per deployment type (``OpenAI.GlobalProvisionedManaged``): a PTU
    deployment of any model takes from the same pool (see the emulator README's quota citations).
    """
    return f"OpenAI.{sku}" if sku in PROVISIONED_SKUS else f"OpenAI.{sku}.{model.lower()}"


def check_sku_region(sku: str, region: Region, residency: str | None) -> str | None:
    """Why a deployment of ``sku`` in ``region`` breaks ``residency`` (or data-zone rules), else None."""
    if sku.startswith("DataZone") and region.data_zone is None:
        return f"{sku} is only offered in EU and US data-zone regions, not {region.name}"
    if residency is None:
        return None
    if sku.startswith("Global"):
        return f"{sku} may process data in any Azure region, which breaks residency {residency!r}"
    if sku.startswith("DataZone") and region.data_zone.lower() != residency:  # type: ignore[union-attr]
        return (
            f"{sku} may process data anywhere in the {region.data_zone} data zone, which is wider than "
            f"residency {residency!r}"
        )
    return None


def check_capacity(manifest: Manifest, report: Reporter) -> None:
    """SKU and capacity of every written deployment, then budgets and account limits per stamp."""
    option = manifest.defaults.version_upgrade_option
    if option not in VERSION_UPGRADE_OPTIONS:
        report.error(
            "invalid-value",
            f"unknown version_upgrade_option {option!r}{did_you_mean(option, VERSION_UPGRADE_OPTIONS)}",
            ("defaults", "version_upgrade_option"),
        )
    for index, spec in enumerate(manifest.defaults.deployments):
        _check_spec(spec, spec.sku, ("defaults", "deployments", index), report)
    for stamp_id, stamp in manifest.stamps.items():
        region = REGIONS.get(stamp.location)
        for index, spec in enumerate(stamp.deployments):
            loc: Loc = ("stamps", stamp_id, "deployments", index)
            for key in ("model", "version", "sku", "capacity"):
                if getattr(spec, key) is None:
                    report.error(
                        "missing-key",
                        f"stamp deployment {spec.name!r} needs {key!r} (stamp deployments take no defaults)",
                        (*loc, key),
                    )
            _check_spec(spec, spec.sku, loc, report)
            problem = check_sku_region(spec.sku, region, None) if spec.sku and region else None
            if problem:
                report.error("unknown-sku", problem, (*loc, "sku"))
        _check_budgets(manifest, stamp_id, report)
    for tenant_id, tenant in manifest.tenants.items():
        if tenant.isolation in (Isolation.DEDICATED, Isolation.DEDICATED_DEPLOYMENT):
            _check_tenant_specs(manifest, tenant_id, report)
    _check_account_limits(manifest, report)


def _check_tenant_specs(manifest: Manifest, tenant_id: str, report: Reporter) -> None:
    tenant = manifest.tenants[tenant_id]
    region = REGIONS.get(manifest.tenant_location(tenant_id))
    for index, spec in enumerate(tenant.deployments):
        loc = ("tenants", tenant_id, "deployments", index)
        base = manifest.default_for(spec.name)
        _check_spec(spec, spec.sku or (base.sku if base else None), loc, report)
        resolved = manifest.resolve(spec)
        if resolved is None:
            for key in ("model", "version", "sku", "capacity"):
                if getattr(spec, key) is None and (base is None or getattr(base, key) is None):
                    report.error(
                        "missing-key",
                        f"deployment {spec.name!r} has no {key!r} and no [defaults] deployment supplies one",
                        (*loc, key),
                    )
        elif region is not None and tenant.residency is None:
            problem = check_sku_region(resolved.sku, region, None)
            if problem:
                report.error("unknown-sku", problem, (*loc, "sku") if spec.sku else loc)
    if tenant.deployments or region is None or tenant.residency is not None:
        return
    for spec in manifest.tenant_deployment_specs(tenant_id):  # deployments taken from [defaults]
        problem = check_sku_region(spec.sku, region, None) if spec.sku else None
        if problem:
            report.error(
                "unknown-sku",
                f"[defaults] deployment {spec.name!r}: {problem}",
                ("tenants", tenant_id),
                detail="Give this tenant its own deployments, or change the default's SKU.",
            )


def _check_spec(spec: DeploymentSpec, sku: str | None, loc: Loc, report: Reporter) -> None:
    if spec.sku is not None and spec.sku not in DEPLOYMENT_SKUS:
        exact = [s for s in DEPLOYMENT_SKUS if s.lower() == spec.sku.lower()]
        hint = f" — did you mean {exact[0]!r}?" if exact else did_you_mean(spec.sku, DEPLOYMENT_SKUS)
        report.error(
            "unknown-sku",
            f"unknown deployment SKU {spec.sku!r}{hint}",
            (*loc, "sku"),
            detail=f"Known SKUs: {', '.join(DEPLOYMENT_SKUS)}.",
        )
    option = spec.version_upgrade_option
    if option is not None and option not in VERSION_UPGRADE_OPTIONS:
        report.error(
            "invalid-value",
            f"unknown version_upgrade_option {option!r}{did_you_mean(option, VERSION_UPGRADE_OPTIONS)}",
            (*loc, "version_upgrade_option"),
        )
    if spec.capacity is None:
        return
    capacity, where = spec.capacity, (*loc, "capacity")
    provisioned = sku in PROVISIONED_SKUS
    unit = "PTUs" if provisioned else "× 1,000 TPM"
    if capacity <= 0:
        report.error("capacity", f"capacity must be a positive integer ({unit}), got {capacity}", where)
    elif capacity > _MAX_CAPACITY:
        report.error(
            "capacity",
            f"capacity {capacity:,} is beyond Azure's limits ({_MAX_CAPACITY:,} {unit})",
            where,
            detail="" if provisioned else "Capacity is in thousands of TPM: 10 means 10,000 TPM.",
        )
    elif provisioned and capacity >= 1000:
        report.warning(
            "capacity",
            f"capacity {capacity:,} PTUs on {sku} looks like a TPM figure",
            where,
            detail="Provisioned capacity is in PTUs (provisioned throughput units), not tokens per minute.",
        )
    elif not provisioned and capacity >= 10_000 and capacity % 1000 == 0:
        report.warning(
            "capacity",
            f"capacity {capacity:,} means {capacity * 1000:,} TPM",
            where,
            detail="Capacity is in thousands of tokens per minute; did you write TPM?",
        )


def _check_budgets(manifest: Manifest, stamp_id: str, report: Reporter) -> None:
    stamp = manifest.stamps[stamp_id]
    tenants = {
        tid: t
        for tid, t in ((tid, manifest.tenants[tid]) for tid in manifest.stamp_tenants.get(stamp_id, ()))
        if t.isolation is Isolation.SHARED and t.tpm and t.tpm > 0
    }
    names = [spec.name for spec in stamp.deployments]
    for tid, tenant in tenants.items():
        if not names:
            report.error(
                "unknown-deployment",
                f"stamp {stamp_id!r} has no shared deployments for this shared tenant",
                ("tenants", tid, "stamp"),
            )
        for index, name in enumerate(tenant.shared_deployments):
            if name not in names:
                report.error(
                    "unknown-deployment",
                    f"stamp {stamp_id!r} has no shared deployment {name!r}{did_you_mean(name, names)}",
                    ("tenants", tid, "shared_deployments", index),
                )
    for tid, tenant in tenants.items():
        if tenant.stamp_account is not None and tenant.stamp_account > stamp.max_accounts:
            report.error(
                "stamp-account-out-of-range",
                f"stamp_account {tenant.stamp_account} is beyond stamp {stamp_id!r}'s max_accounts="
                f"{stamp.max_accounts}",
                ("tenants", tid, "stamp_account"),
            )
    index_of = {spec.name: index for index, spec in enumerate(stamp.deployments)}
    for index, spec in enumerate(stamp.deployments):
        users = [t for t in tenants if spec.name in covered_deployments(manifest, t)]
        if not users or spec.capacity is None or spec.capacity <= 0 or spec.sku not in DEPLOYMENT_SKUS:
            continue
        if budget_limit(manifest, stamp_id, spec) is None:
            report.warning(
                "budget-unchecked",
                f"budgets on {spec.sku} deployment {spec.name!r} cannot be checked "
                "against its capacity (not measured in TPM)",
                ("stamps", stamp_id, "deployments", index, "capacity"),
            )
            continue
        capacity_tpm = spec.capacity * 1000
        for tid in users:
            tpm = tenants[tid].tpm or 0
            if tpm > capacity_tpm:
                report.error(
                    "budget-exceeded",
                    f"tpm {tpm:,} is more than all of {stamp_id}/{spec.name} ({capacity_tpm:,} TPM)",
                    ("tenants", tid, "tpm"),
                )
    # Budgets are carried per account: each account's copy of a shared deployment has its own capacity.
    for over in budget_overflows(manifest, stamp_id):
        spec = stamp.deployments[index_of[over.deployment]]
        report.error(
            "budget-exceeded",
            f"shared budgets on {stamp_id}/{spec.name} of account {over.account} total {over.total_tpm:,} TPM "
            f"but capacity {spec.capacity:,} × 1,000 × overcommit {stamp.overcommit:g} allows {over.limit_tpm:,} TPM",
            ("stamps", stamp_id, "deployments", index_of[over.deployment], "capacity"),
            detail=f"{len(over.tenants)} shared tenants on account {over.account}; largest: "
            + ", ".join(f"{tid} {tpm:,}" for tid, tpm in over.tenants[:5])
            + ". Raise capacity or overcommit, pin tenants to another account (stamp_account), "
            "or move tenants to another stamp.",
        )


def _check_account_limits(manifest: Manifest, report: Reporter) -> None:
    per_region: dict[tuple[str, str], int] = defaultdict(int)  # (subscription, region) → accounts needed
    planned: dict[tuple[str, str], int] = defaultdict(int)  # the same, if every stamp grew to max_accounts
    for tenant_id, tenant in manifest.tenants.items():
        if tenant.isolation is Isolation.DEDICATED and not manifest.provider.pool:  # a pool: see manifest.pool
            key = (manifest.provider.subscription_id, manifest.tenant_location(tenant_id))
            per_region[key] += 1
            planned[key] += 1
    for stamp_id, stamp in manifest.stamps.items():
        riders = (manifest.tenants[tid] for tid in manifest.stamp_tenants.get(stamp_id, ()))
        count = sum(len(t.deployments) for t in riders if t.isolation is Isolation.DEDICATED_DEPLOYMENT)
        needed = max(1, math.ceil(count / stamp.max_deployments_per_account))
        if needed > stamp.max_accounts:
            report.error(
                "account-limit",
                f"stamp {stamp_id!r} needs {needed} accounts for {count} dedicated deployments "
                f"({stamp.max_deployments_per_account} per account) but max_accounts is {stamp.max_accounts}",
                ("stamps", stamp_id, "max_accounts"),
                detail="Raise max_accounts (at most 30) or add another stamp.",
            )
        if manifest.provider.pool and stamp.subscription_id is None:
            continue  # the pool places it by the room Azure reports (see planning.pool_placement)
        key = (manifest.stamp_subscription(stamp_id), stamp.location)
        per_region[key] += needed
        planned[key] += stamp.max_accounts
    for (subscription, region), count in per_region.items():
        if count > MAX_ACCOUNTS_PER_REGION:  # a default limit: support can raise it, so only warn
            report.warning(
                "account-limit",
                f"{count} accounts needed in {region} of subscription {subscription}; "
                f"Azure allows {MAX_ACCOUNTS_PER_REGION} per region per subscription by default",
                ("provider",),
                detail="Ask Azure support for more, or spread tenants over regions.",
            )
        elif planned[(subscription, region)] > MAX_ACCOUNTS_PER_REGION:
            report.warning(
                "account-limit",
                f"stamps in {region} may grow to {planned[(subscription, region)]} "
                f"accounts; Azure allows {MAX_ACCOUNTS_PER_REGION} per region per subscription",
                ("provider",),
            )
