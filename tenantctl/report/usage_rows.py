"""The report's usage section, drawn from :func:`tenantctl.usage.collect_usage` (the one usage reader).

The page shows what ``tenantctl usage`` computes — the same attribution, peaks and cost — laid out
as :class:`TenantUsageRow`; nothing here reads the cloud or re-derives a number.
"""

from __future__ import annotations

from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.report.model import TenantUsageRow, UsageSection
from tenantctl.usage import TenantUsage, UsageReport

__all__ = ["NOT_COLLECTED", "usage_section"]

NOT_COLLECTED = "usage not collected: no traffic in the window"
TENANT_PROVIDED_NOTE = "not visible: the tenant's own account"


def _row(manifest: Manifest, usage: TenantUsage, currency: str | None) -> TenantUsageRow:
    tenant = manifest.tenants[usage.tenant]
    name = tenant.display_name or usage.tenant
    if usage.visibility == "not visible":
        # The accounts of a tenant-provided tenant are its own: tenantctl reads nothing there.
        note = TENANT_PROVIDED_NOTE if tenant.isolation is Isolation.TENANT_PROVIDED else f"not collected: {usage.note}"
        return TenantUsageRow(usage.tenant, name, usage.isolation, visible=False, note=note)
    totals, cost = usage.totals, usage.cost
    return TenantUsageRow(
        usage.tenant,
        name,
        usage.isolation,
        prompt_tokens=totals.prompt_tokens,
        completion_tokens=totals.completion_tokens,
        requests=totals.requests,
        # The gateway's token metric counts only the calls it let through: no 429s to report.
        throttled=None if tenant.isolation is Isolation.SHARED else totals.throttled_requests,
        peak_tpm=usage.peak_tpm,
        peak_is_minute=usage.peak_basis == "minute",
        allocated_tpm=usage.allocated_tpm or None,  # None for PTUs (no TPM) and a shared tenant without budget
        cost=None if cost is None else float(cost),
        currency=None if cost is None else currency,
        note=usage.note,
    )


def usage_section(manifest: Manifest, report: UsageReport) -> UsageSection:
    """One row per tenant (sorted by id); the report's diagnostics become the section's notes."""
    by_id = {t.tenant: t for t in report.tenants}
    rows = tuple(_row(manifest, by_id[t], report.currency) for t in sorted(by_id))
    collected = any(r.tokens or r.requests or r.throttled for r in rows)
    notes = [d.summary for d in report.diagnostics]
    if not collected:
        notes.append(NOT_COLLECTED)
    return UsageSection(report.start, report.end, rows, collected, tuple(notes))
