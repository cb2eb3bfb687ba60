"""Usage per tenant for the report, read through the usage port in the simplest honest way.

* dedicated and dedicated-deployment tenants: the platform metrics of the deployments they own
  (one batched read over the managed accounts, hourly). A dedicated tenant owns every deployment of
  its account; a dedicated-deployment tenant its ``<tenant>--<name>`` deployments on a stamp account.
  Their peak is the busiest hour / 60, a lower bound of the busiest minute (minute grain over a
  month would be 43,200 points per deployment).
* shared tenants: the gateway's token metrics, per tenant dimension, and its busiest minute (two
  Log Analytics queries), when a gateway workspace is known; otherwise "not collected".
* tenant-provided tenants: not visible (their accounts are theirs; nothing is read).

A read that fails (a window beyond the metrics retention, a workspace that is not there) leaves the
rows it would have filled marked "not collected" with Azure's reason; the rest of the page stands.
Cost stays empty: pricing belongs to the manifest's price table, which this report does not read yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from tenantctl.cloud.port import UsagePort
from tenantctl.desired import DesiredState
from tenantctl.errors import TenantctlError
from tenantctl.manifest.model import PROVISIONED_SKUS, Isolation, Manifest
from tenantctl.report.model import TenantUsageRow, UsageSection
from tenantctl.resources import Account, Deployment, TenantPeak, UsageSeries

__all__ = ["allocated_tpm", "collect_usage", "usage_rows"]

HOUR = timedelta(hours=1)


def allocated_tpm(manifest: Manifest, tenant_id: str) -> int | None:
    """A shared tenant's budget; a deployment owner's TPM capacity (None for PTUs, which have no TPM)."""
    tenant = manifest.tenants[tenant_id]
    if tenant.isolation is Isolation.SHARED:
        return tenant.tpm
    if tenant.isolation is Isolation.TENANT_PROVIDED:
        return None
    units = [d.capacity for d in manifest.resolved_deployments(tenant_id) if d.sku not in PROVISIONED_SKUS]
    return sum(units) * 1000 if units else None


def _owners(desired: DesiredState) -> dict[tuple[str, str], str]:
    """(account key, deployment name lower-cased) -> the tenant that owns the deployment."""
    return {
        (item.resource.account.key, item.resource.name.lower()): item.tenant
        for item in desired.items
        if isinstance(item.resource, Deployment) and item.tenant is not None
    }


def usage_rows(
    manifest: Manifest,
    desired: DesiredState,
    account_series: Iterable[UsageSeries] | None,
    gateway_series: Iterable[UsageSeries] | None,
    gateway_peaks: Iterable[TenantPeak] | None,
    *,
    reasons: Mapping[str, str] | None = None,
) -> tuple[TenantUsageRow, ...]:
    """One row per tenant, sorted by id. ``None`` series = that source was not read (``reasons`` by
    source, ``"account"`` / ``"gateway"``, say why)."""
    why = dict(reasons or {})
    owners = _owners(desired)
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    hourly: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    for s in account_series or ():
        tenant = owners.get((s.scope.lower(), s.key.lower()))
        if tenant is None:
            continue  # a stamp's shared deployment: the gateway attributes it to tenants
        _add(totals[tenant], s)
        for p in s.points:
            hourly[tenant][p.start] += p.tokens
    for s in gateway_series or ():
        _add(totals[s.key], s)
    peaks = {p.tenant: p.tokens_per_minute for p in gateway_peaks or ()}
    rows = []
    for tenant_id in sorted(manifest.tenants):
        t = manifest.tenants[tenant_id]
        base = TenantUsageRow(
            tenant_id, t.display_name or tenant_id, t.isolation.value, allocated_tpm=allocated_tpm(manifest, tenant_id)
        )
        source = "gateway" if t.isolation is Isolation.SHARED else "account"
        read = (gateway_series if source == "gateway" else account_series) is not None
        if t.isolation is Isolation.TENANT_PROVIDED:
            rows.append(replace(base, visible=False, note="not visible: the tenant's own account"))
            continue
        if not read:
            note = why.get(source, "not collected")
            rows.append(replace(base, visible=False, note=note))
            continue
        got = totals.get(tenant_id, {})
        if source == "gateway":
            peak, minute = peaks.get(tenant_id), True
        else:
            busiest = max(hourly.get(tenant_id, {}).values(), default=0)
            peak, minute = (busiest + 59) // 60, False
        rows.append(
            replace(
                base,
                prompt_tokens=got.get("prompt_tokens", 0),
                completion_tokens=got.get("completion_tokens", 0),
                requests=got.get("requests", 0),
                # The gateway's token metric counts only the calls it let through: no 429s to report.
                throttled=None if source == "gateway" else got.get("throttled_requests", 0),
                peak_tpm=peak,
                peak_is_minute=minute,
                note="" if got else "no traffic in the window",
            )
        )
    return tuple(rows)


def _add(into: dict[str, int], series: UsageSeries) -> None:
    into["prompt_tokens"] += series.prompt_tokens
    into["completion_tokens"] += series.completion_tokens
    into["requests"] += series.requests
    into["throttled_requests"] += series.throttled_requests


def _short(exc: TenantctlError) -> str:
    return str(exc).splitlines()[0][:300]


def collect_usage(
    manifest: Manifest,
    desired: DesiredState,
    accounts: Iterable[Account],
    port: UsagePort | None,
    *,
    start: datetime,
    end: datetime,
    gateway_workspace: str | None,
    gateway_dimension: str = "Tenant",
) -> UsageSection:
    """Read the window [start, end) and build the rows; never raises for a failed read (it is a note)."""
    if port is None:
        return UsageSection(start, end, notes=("usage not collected: this cloud offers no usage reads",))
    notes: list[str] = []
    reasons: dict[str, str] = {}
    owned = {key for key, _ in _owners(desired)}
    mine = sorted((a for a in accounts if a.ref.key in owned), key=lambda a: a.ref.key)
    account_series: list[UsageSeries] | None = []
    if mine:
        try:
            account_series = port.query_account_usage(mine, start=start, end=end, granularity=HOUR)
        except TenantctlError as exc:
            account_series = None
            reasons["account"] = f"not collected: {_short(exc)}"
            notes.append(f"account metrics not read: {_short(exc)}")
    shared = sorted(t for t, spec in manifest.tenants.items() if spec.isolation is Isolation.SHARED)
    gateway_series: list[UsageSeries] | None = None
    peaks: list[TenantPeak] | None = None
    if shared and gateway_workspace is None:
        reasons["gateway"] = "not collected: no gateway workspace (--gateway-workspace)"
        notes.append("shared tenants: no gateway workspace given, so their usage was not read")
    elif shared and gateway_workspace is not None:
        try:
            gateway_series = port.query_gateway_usage(
                gateway_workspace, start=start, end=end, granularity=HOUR, dimension=gateway_dimension, tenants=shared
            )
            peaks = port.query_gateway_peaks(
                gateway_workspace, start=start, end=end, dimension=gateway_dimension, tenants=shared
            )
        except TenantctlError as exc:
            gateway_series = None
            reasons["gateway"] = f"not collected: {_short(exc)}"
            notes.append(f"gateway metrics not read: {_short(exc)}")
    rows = usage_rows(manifest, desired, account_series, gateway_series, peaks, reasons=reasons)
    collected = any(r.tokens or r.requests or r.throttled for r in rows)
    if not collected:
        notes.append("usage not collected: no traffic in the window")
    return UsageSection(start, end, rows, collected, tuple(notes))
