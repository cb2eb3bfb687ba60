"""``collect_usage``: manifest + Azure Monitor -> :class:`UsageReport` (read-only).

Requests, whatever the number of tenants (see the adapter for the batching):

* the managed accounts as ``plan`` reads them (one Resource Graph query), plus usages once per region (quota
  headroom for raise recommendations);
* platform metrics of the accounts at the report's granularity: 2 ``metrics:getBatch`` per 50
  accounts of one subscription and region (dedicated and dedicated-deployment tenants);
* two Log Analytics queries for the gateway (shared tenants): usage per interval and minute peaks.

The granularity is what is read: 1 day (default) keeps a month of 1,000 tenants to ~30 points per
series (the SDK's deserialisation, not the network, is what costs); 1 hour gives busiest-hour peaks,
which right-sizing needs to lower on utilisation (docs/usage.md). Nothing fails the whole report: a
part that cannot be read becomes a diagnostic, its tenants are marked, the rest is shown (``partial``).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from tenantctl import naming
from tenantctl.cloud.port import CloudPort, UsagePort
from tenantctl.diagnostics import Diagnostics
from tenantctl.errors import RetryableError, TerminalError, UsageError
from tenantctl.inspection import quota_report
from tenantctl.manifest.model import Isolation, Manifest, ResolvedDeployment, capacity_unit
from tenantctl.observation import QuotaObservation, observe_quota
from tenantctl.resources import Account, UsagePoint, UsageSeries
from tenantctl.usage.pricing import deployment_cost
from tenantctl.usage.report import (
    GRANULARITIES,
    NO_DATA,
    NOT_VISIBLE,
    VISIBLE,
    DeploymentUsage,
    Recommendation,
    TenantUsage,
    UsageReport,
    UsageTotals,
)
from tenantctl.usage.rules import AllocationUsage, recommend

__all__ = ["RETENTION", "UsageCloud", "collect_usage"]

# Azure Monitor keeps platform metrics 93 days (tenantctl/emulator/README.md, "Usage metrics", cites it);
# a query reaching further back is refused as a whole, so the window is cut and marked partial.
RETENTION = dt.timedelta(days=93)
HOUR = dt.timedelta(hours=1)
_NAMES_SHOWN = 10


class UsageCloud(CloudPort, UsagePort, Protocol):
    """The reads usage needs: ARM (accounts, quota) and Azure Monitor. The Azure adapter is both."""


@dataclass
class _Intervals:
    """Points (at the granularity read) summed by interval start."""

    by_hour: dict[dt.datetime, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))

    def add(self, series: UsageSeries) -> None:
        for p in series.points:
            bucket = self.by_hour[p.start]
            bucket[0] += p.prompt_tokens
            bucket[1] += p.completion_tokens
            bucket[2] += p.requests
            bucket[3] += p.throttled_requests

    def merge(self, other: _Intervals) -> None:
        for at, values in other.by_hour.items():
            bucket = self.by_hour[at]
            for i, v in enumerate(values):
                bucket[i] += v

    @property
    def totals(self) -> UsageTotals:
        sums = [sum(v[i] for v in self.by_hour.values()) for i in range(4)]
        return UsageTotals(*sums)

    def peak_tpm(self, granularity: dt.timedelta) -> int:
        """The busiest interval's average tokens per minute."""
        minutes = int(granularity.total_seconds() // 60)
        return max(((v[0] + v[1]) // minutes for v in self.by_hour.values()), default=0)

    def daily_peaks(self, start: dt.datetime, end: dt.datetime, granularity: dt.timedelta) -> tuple[int, ...]:
        minutes = int(granularity.total_seconds() // 60)
        days = max(1, -(-int((end - start).total_seconds()) // 86400))
        peaks = [0] * days
        for at, v in self.by_hour.items():
            index = int((at - start).total_seconds() // 86400)
            if 0 <= index < days:
                peaks[index] = max(peaks[index], (v[0] + v[1]) // minutes)
        return tuple(peaks)

    def points(self) -> tuple[UsagePoint, ...]:
        """One point per interval read (Azure's buckets start at the window's start)."""
        return tuple(UsagePoint(at, *v) for at, v in sorted(self.by_hour.items()))

    @property
    def active(self) -> bool:
        return any(any(v) for v in self.by_hour.values())


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def _names(names: Iterable[str]) -> str:
    names = sorted(names)
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown + (f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else "")


def _selected(manifest: Manifest, tenants: Sequence[str] | None) -> list[str]:
    if not tenants:
        return sorted(manifest.tenants)
    unknown = [t for t in tenants if t not in manifest.tenants]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(manifest.tenants), n=3)
        raise UsageError(
            f"unknown tenant {unknown[0]!r}",
            code="unknown-tenant",
            hint=f"Did you mean {', '.join(close)}?"
            if close
            else "Tenants are the [tenants.<id>] tables of the manifest.",
        )
    return sorted(dict.fromkeys(tenants))


def _window(start: dt.datetime, end: dt.datetime, now: dt.datetime, diags: Diagnostics) -> tuple[dt.datetime, bool]:
    if start >= end:
        raise UsageError(
            f"the window is empty: {start:%Y-%m-%d %H:%M} is not before {end:%Y-%m-%d %H:%M}", code="bad-window"
        )
    earliest = now - RETENTION
    if start >= earliest:
        return start, False
    # Whole hours after the retention limit, so hourly buckets stay aligned.
    cut = earliest.replace(minute=0, second=0, microsecond=0) + HOUR
    diags.warning(
        "beyond-retention",
        f"the window starts {start:%Y-%m-%d}, before Azure Monitor's 93-day metrics retention: "
        f"usage is shown from {cut:%Y-%m-%d %H:%M} UTC only",
        detail="Platform metrics are kept 93 days; keep older usage by exporting it (-o csv) every month.",
    )
    return cut, True


@dataclass(frozen=True)
class _Allocation:
    """One thing a tenant is allocated, and where its metrics are found."""

    tenant: str
    spec: ResolvedDeployment
    azure_name: str
    accounts: tuple[Account, ...]  # the accounts it may live on (one, or a stamp's)
    field: str


def _allocations(manifest: Manifest, tenant_id: str, accounts: Sequence[Account]) -> list[_Allocation]:
    tenant = manifest.tenants[tenant_id]
    prefix = manifest.provider.name_prefix
    out = []
    if tenant.isolation is Isolation.DEDICATED:
        name = naming.dedicated_account_name(prefix, tenant_id).lower()
        mine = tuple(a for a in accounts if a.ref.name.lower() == name and naming.TAG_STAMP not in a.tags)
        for d in manifest.resolved_deployments(tenant_id):
            out.append(_Allocation(tenant_id, d, d.name, mine, f"deployments.{d.name}.capacity"))
    elif tenant.isolation is Isolation.DEDICATED_DEPLOYMENT:
        on_stamp = tuple(a for a in accounts if a.tags.get(naming.TAG_STAMP) == tenant.stamp)
        for d in manifest.resolved_deployments(tenant_id):
            out.append(
                _Allocation(
                    tenant_id,
                    d,
                    naming.tenant_deployment_name(tenant_id, d.name),
                    on_stamp,
                    f"deployments.{d.name}.capacity",
                )
            )
    return out


def _shared_spec(manifest: Manifest, tenant_id: str) -> ResolvedDeployment | None:
    """The stamp deployment a shared tenant's tokens are priced at: the first its budget covers."""
    tenant = manifest.tenants[tenant_id]
    if tenant.stamp not in manifest.stamps:
        return None
    deployments = manifest.stamp_deployments(tenant.stamp)
    covered = [d for d in deployments if not tenant.shared_deployments or d.name in tenant.shared_deployments]
    return covered[0] if covered else None


class _Collector:
    def __init__(
        self,
        manifest: Manifest,
        cloud: UsageCloud,
        *,
        start: dt.datetime,
        end: dt.datetime,
        granularity: dt.timedelta,
        gateway_workspace: str | None,
    ) -> None:
        self.m, self.cloud = manifest, cloud
        self.start, self.end, self.granularity = start, end, granularity
        self.gateway_workspace = gateway_workspace
        self.diags = Diagnostics()
        self.partial = False
        self.hours = Decimal(int((end - start).total_seconds())) / Decimal(3600)

    # ------------------------------------------------------------------ reads
    def account_series(self, accounts: Sequence[Account]) -> dict[tuple[str, str], UsageSeries] | None:
        if not accounts:
            return {}
        try:
            series = self.cloud.query_account_usage(
                accounts, start=self.start, end=self.end, granularity=self.granularity
            )
        except (TerminalError, RetryableError) as exc:
            self.diags.warning(
                "metrics-unreadable",
                f"the accounts' platform metrics could not be read: {exc.message}",
                detail="Dedicated and dedicated-deployment tenants are shown as not visible. Reading metrics "
                "needs Microsoft.Insights/metrics/read on the accounts (e.g. Monitoring Reader).",
            )
            self.partial = True
            return None
        return {(s.scope.lower(), s.key.lower()): s for s in series}

    def gateway_series(self, shared: Sequence[str]) -> tuple[dict[str, UsageSeries], dict[str, int]] | None:
        if not shared:
            return {}, {}
        workspace = self.m.gateway.workspace_id if self.m.gateway else self.gateway_workspace
        dimension = self.m.gateway.tenant_dimension if self.m.gateway else "Tenant"
        if workspace is None:
            self.diags.warning(
                "no-gateway",
                f"{len(shared)} shared tenant(s) not visible: the manifest has no [gateway] workspace_id",
                detail="Shared tenants' tokens are counted by the gateway (azure-openai-emit-token-metric, see "
                "`tenantctl export routing --format apim`); set [gateway] workspace_id to its Log Analytics workspace.",
            )
            self.partial = True
            return None
        try:
            # No tenant filter: a gateway that emits no tenant dimension must show up, not read as zero.
            usage = self.cloud.query_gateway_usage(
                workspace, start=self.start, end=self.end, granularity=self.granularity, dimension=dimension
            )
            peaks = self.cloud.query_gateway_peaks(workspace, start=self.start, end=self.end, dimension=dimension)
        except (TerminalError, RetryableError) as exc:
            self.diags.warning(
                "gateway-unreadable",
                f"the gateway's token metrics could not be read from workspace {workspace}: {exc.message}",
                detail="Shared tenants are shown as not visible.",
            )
            self.partial = True
            return None
        by_tenant = {s.key: s for s in usage}
        unattributed = by_tenant.pop("", None)
        if unattributed is not None:
            self.partial = True
            self.diags.warning(
                "gateway-no-tenant-dimension",
                f"{unattributed.prompt_tokens + unattributed.completion_tokens:,} tokens in the gateway's metrics "
                f"carry no {dimension!r} dimension and cannot be charged to a tenant",
                detail="Include the policy from `tenantctl export routing --format apim` "
                f"(azure-openai-emit-token-metric with <dimension name={dimension!r}>) in every tenant's "
                "inbound section.",
            )
        return by_tenant, {p.tenant: p.tokens_per_minute for p in peaks}

    # ------------------------------------------------------------------ rows
    def deployment_row(self, alloc: _Allocation, hourly: _Intervals, peak: int) -> DeploymentUsage:
        d = alloc.spec
        totals = hourly.totals
        account = alloc.accounts[0].ref.name if len(alloc.accounts) == 1 else ""
        return DeploymentUsage(
            deployment=d.name,
            azure_name=alloc.azure_name,
            account=account,
            model=d.model,
            sku=d.sku,
            capacity=d.capacity,
            unit=capacity_unit(d.sku),
            totals=totals,
            peak_tpm=peak,
            cost=self.cost(d.model, d.sku, totals, d.capacity),
            field=alloc.field,
        )

    def cost(self, model: str, sku: str, totals: UsageTotals, capacity: int) -> Decimal | None:
        if self.m.pricing is None:
            return None
        return deployment_cost(
            self.m.pricing,
            model=model,
            sku=sku,
            prompt_tokens=totals.prompt_tokens,
            completion_tokens=totals.completion_tokens,
            capacity=capacity,
            hours=self.hours,
        )


def _headroom(
    manifest: Manifest, cloud: UsageCloud, observed: QuotaObservation | None
) -> tuple[list[Account], dict[tuple[str, str, str, str], float]]:
    """Managed accounts, and quota headroom (K TPM or PTU) per (subscription, region, model, SKU).

    ``observed``: what the caller already read (the HTML report reads quota for itself); else read here,
    without the model catalogues (the usage-line rule OpenAI.<sku>.<model> names the lines)."""
    if observed is None:
        observed = observe_quota(manifest, cloud, catalogues=False)
    lines = quota_report(manifest, observed).lines
    room = {
        (
            line.subscription_id.lower(),
            line.location.lower(),
            (line.model or "").lower(),
            (line.sku or "").lower(),
        ): line.headroom
        for line in lines
        if line.headroom is not None and line.model
    }
    return list(observed.accounts), room


def collect_usage(
    manifest: Manifest,
    cloud: UsageCloud,
    *,
    start: dt.datetime,
    end: dt.datetime,
    granularity: str = "1d",
    tenants: Sequence[str] | None = None,
    gateway_workspace: str | None = None,
    now: dt.datetime | None = None,
    quota: QuotaObservation | None = None,
) -> UsageReport:
    """Usage, cost and right-sizing per tenant over ``[start, end)`` (UTC). Read-only.

    ``gateway_workspace`` is used when the manifest has no ``[gateway]`` (the emulator's default).
    ``quota``: the managed accounts and quota usages when the caller has read them already.
    Raises UsageError for an unknown tenant, an unknown granularity or an empty window; everything
    the cloud does not answer is a diagnostic in the report.
    """
    if granularity not in GRANULARITIES:
        raise UsageError(f"unknown granularity {granularity!r}", code="bad-option", hint="One of: 1h, 1d.")
    now = _utc(now or dt.datetime.now(dt.timezone.utc))
    start, end = _utc(start), _utc(end)
    selected = _selected(manifest, tenants)
    diags = Diagnostics()
    start, cut = _window(start, end, now, diags)
    collector = _Collector(
        manifest,
        cloud,
        start=start,
        end=end,
        granularity=GRANULARITIES[granularity],
        gateway_workspace=gateway_workspace,
    )
    collector.diags = diags
    collector.partial = cut
    if start >= end:  # the whole window is beyond retention
        return _report(
            manifest,
            collector,
            granularity,
            [_blank(manifest, t, NOT_VISIBLE, "beyond metrics retention") for t in selected],
        )

    accounts, headroom = _headroom(manifest, cloud, quota)
    allocations = {t: _allocations(manifest, t, accounts) for t in selected}
    needed = {a.ref.key: a for allocs in allocations.values() for alloc in allocs for a in alloc.accounts}
    series = collector.account_series(list(needed.values()))
    shared = [t for t in selected if manifest.tenants[t].isolation is Isolation.SHARED]
    gateway = collector.gateway_series(shared)

    rows: list[TenantUsage] = []
    no_data: list[str] = []
    for tenant_id in selected:
        row = _tenant_row(manifest, collector, tenant_id, allocations[tenant_id], series, gateway, headroom)
        if row.visibility == NO_DATA:
            no_data.append(tenant_id)
        rows.append(row)
    if no_data:
        collector.diags.warning(
            "no-metrics",
            f"{len(no_data)} tenant(s) have no metrics in the window: {_names(no_data)}",
            detail="Not created yet, created after the window, idle, or their resources are missing "
            "(`tenantctl status`).",
        )
    _missing_prices(manifest, collector, rows)
    return _report(manifest, collector, granularity, rows)


def _basis(granularity: dt.timedelta) -> str:
    return "hour average" if granularity == HOUR else "day average"


def _blank(manifest: Manifest, tenant_id: str, visibility: str, note: str) -> TenantUsage:
    tenant = manifest.tenants[tenant_id]
    return TenantUsage(
        tenant=tenant_id,
        isolation=tenant.isolation.value,
        location=manifest.tenant_location(tenant_id),
        stamp=tenant.stamp,
        visibility=visibility,
        note=note,
        deployments=(),
        peak_tpm=0,
        peak_basis="hour average",
    )


def _tenant_row(  # noqa: PLR0917 - one call site, every argument a different read
    manifest: Manifest,
    collector: _Collector,
    tenant_id: str,
    allocations: list[_Allocation],
    series: Mapping[tuple[str, str], UsageSeries] | None,
    gateway: tuple[dict[str, UsageSeries], dict[str, int]] | None,
    headroom: Mapping[tuple[str, str, str, str], float],
) -> TenantUsage:
    tenant = manifest.tenants[tenant_id]
    if tenant.isolation is Isolation.TENANT_PROVIDED:
        return _blank(
            manifest,
            tenant_id,
            NOT_VISIBLE,
            "tenant-provided: the role onboarding asks for (Cognitive Services OpenAI User) is for inference; "
            "its metrics would need a monitoring role in the tenant's directory (not read)",
        )
    if tenant.isolation is Isolation.SHARED:
        return _shared_row(manifest, collector, tenant_id, gateway)
    if series is None:
        return _blank(manifest, tenant_id, NOT_VISIBLE, "platform metrics could not be read")
    tenant_points = _Intervals()
    deployments: list[DeploymentUsage] = []
    recommendations: list[Recommendation] = []
    for alloc in allocations:
        hourly = _Intervals()
        for account in alloc.accounts:
            found = series.get((account.ref.key, alloc.azure_name.lower()))
            if found is not None:
                hourly.add(found)
        tenant_points.merge(hourly)
        row = collector.deployment_row(alloc, hourly, hourly.peak_tpm(collector.granularity))
        deployments.append(row)
        region = manifest.tenant_location(tenant_id)
        # Where the account is (a pool places dedicated tenants and stamps); else where it would be alone.
        sub = (
            alloc.accounts[0].ref.subscription_id
            if alloc.accounts
            else manifest.provider.subscription_id
            if tenant.isolation is Isolation.DEDICATED
            else manifest.stamp_subscription(tenant.stamp or "")
        )
        room = headroom.get((sub.lower(), region.lower(), alloc.spec.model.lower(), alloc.spec.sku.lower()))
        usage = AllocationUsage(
            capacity=alloc.spec.capacity,
            unit=row.unit,
            daily_peaks_tpm=hourly.daily_peaks(collector.start, collector.end, collector.granularity),
            requests=row.totals.requests,
            throttled_requests=row.totals.throttled_requests,
            headroom_k=room,
            region=region,
            peak_tpm=row.peak_tpm,
            hourly=collector.granularity == HOUR,
        )
        recommendations.extend(
            _recommendation(
                tenant_id,
                field_name=alloc.field,
                deployment=alloc.spec.name,
                unit=row.unit,
                capacity=alloc.spec.capacity,
                usage=usage,
            )
        )
    visible = tenant_points.active
    note = "" if visible else "no metrics in the window"
    if not any(alloc.accounts for alloc in allocations) and allocations:
        note = "its account is missing (not applied yet?)"
    return TenantUsage(
        tenant=tenant_id,
        isolation=tenant.isolation.value,
        location=manifest.tenant_location(tenant_id),
        stamp=tenant.stamp,
        visibility=VISIBLE if visible else NO_DATA,
        note=note,
        deployments=tuple(deployments),
        peak_tpm=tenant_points.peak_tpm(collector.granularity),
        peak_basis=_basis(collector.granularity),
        recommendations=tuple(recommendations),
        series=tenant_points.points(),
    )


def _recommendation(
    tenant_id: str, *, field_name: str, deployment: str, unit: str, capacity: int, usage: AllocationUsage
) -> list[Recommendation]:
    verdict = recommend(usage)
    if verdict is None:
        return []
    evidence = verdict.evidence if field_name == "tpm" else f"{deployment}: {verdict.evidence}"
    return [Recommendation(tenant_id, verdict.action, field_name, capacity, verdict.proposed, unit, evidence)]


def _shared_row(
    manifest: Manifest,
    collector: _Collector,
    tenant_id: str,
    gateway: tuple[dict[str, UsageSeries], dict[str, int]] | None,
) -> TenantUsage:
    tenant = manifest.tenants[tenant_id]
    if gateway is None:
        return _blank(manifest, tenant_id, NOT_VISIBLE, "the gateway's metrics could not be read")
    by_tenant, peaks = gateway
    hourly = _Intervals()
    found = by_tenant.get(tenant_id)
    if found is not None:
        hourly.add(found)
    spec = _shared_spec(manifest, tenant_id)
    totals = hourly.totals
    budget = tenant.tpm or 0
    deployment = DeploymentUsage(
        deployment=spec.name if spec else "",
        azure_name="",
        account="",
        model=spec.model if spec else "",
        sku=spec.sku if spec else "",
        capacity=budget,
        unit="TPM",
        totals=totals,
        peak_tpm=peaks.get(tenant_id, 0),
        cost=collector.cost(spec.model, spec.sku, totals, 0) if spec else None,
        field="tpm",
    )
    recommendations: list[Recommendation] = []
    if budget:
        usage = AllocationUsage(
            capacity=budget,
            unit="TPM",
            daily_peaks_tpm=hourly.daily_peaks(collector.start, collector.end, collector.granularity),
            requests=totals.requests,
            throttled_requests=totals.throttled_requests,
            peak_tpm=peaks.get(tenant_id, 0),
            hourly=collector.granularity == HOUR,
        )
        recommendations = _recommendation(
            tenant_id, field_name="tpm", deployment="", unit="TPM", capacity=budget, usage=usage
        )
    visible = hourly.active
    return TenantUsage(
        tenant=tenant_id,
        isolation=tenant.isolation.value,
        location=manifest.tenant_location(tenant_id),
        stamp=tenant.stamp,
        visibility=VISIBLE if visible else NO_DATA,
        note="" if visible else "no gateway metrics for this tenant in the window",
        deployments=(deployment,),
        peak_tpm=peaks.get(tenant_id, 0),
        peak_basis="minute",
        recommendations=tuple(recommendations),
        series=hourly.points(),
    )


def _missing_prices(manifest: Manifest, collector: _Collector, rows: Sequence[TenantUsage]) -> None:
    if manifest.pricing is None:
        return
    missing: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows:
        for d in row.deployments:
            used = d.totals.tokens > 0 or d.unit == "PTU"
            if d.cost is None and used and d.model:
                missing[(d.model, d.sku)].append(row.tenant)
    for (model, sku), tenants in sorted(missing.items()):
        collector.partial = True
        kind = "pricing.ptu" if capacity_unit(sku) == "PTU" else "pricing.tokens"
        collector.diags.warning(
            "missing-price",
            f"no price for model {model!r} on {sku}: the cost of {len(tenants)} tenant(s) is incomplete "
            f"({_names(set(tenants))})",
            detail=f"Add an entry to [{kind}] for model = {model!r} (sku = {sku!r}, or no sku for every SKU).",
            path=kind,
        )


def _report(manifest: Manifest, collector: _Collector, granularity: str, rows: list[TenantUsage]) -> UsageReport:
    return UsageReport(
        start=collector.start,
        end=collector.end,
        granularity=granularity,
        currency=manifest.pricing.currency if manifest.pricing else None,
        tenants=tuple(rows),
        partial=collector.partial,
        diagnostics=tuple(collector.diags),
    )
