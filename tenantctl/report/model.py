"""What the HTML report shows, as typed records (the page renders only these).

:class:`TenantUsageRow` is the report's input for usage and cost, laid out from
:func:`tenantctl.usage.collect_usage`'s report by :mod:`tenantctl.report.usage_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tenantctl.export.diagram import FleetDiagram
from tenantctl.inspection.fleet import QuotaReport

__all__ = ["AccountSlots", "FleetReport", "TenantUsageRow", "UsageSection"]


@dataclass(frozen=True)
class TenantUsageRow:
    """One tenant's usage in the report's window.

    ``peak_tpm``: the busiest minute's tokens when the source has minutes (the gateway), else the
    busiest hour's tokens / 60 — a lower bound of the peak minute — and ``peak_is_minute`` is False.
    ``allocated_tpm``: its budget (shared) or its deployments' capacity x 1,000 (None for PTUs).
    ``visible``: False when tenantctl cannot read the tenant's usage (``note`` says why).
    """

    tenant: str
    display_name: str
    isolation: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    throttled: int | None = 0  # None: the source does not count 429s (the gateway's token metric)
    peak_tpm: int | None = None
    peak_is_minute: bool = False
    allocated_tpm: int | None = None
    cost: float | None = None
    currency: str | None = None
    visible: bool = True
    note: str = ""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class UsageSection:
    """Usage per tenant, or why there is none (``collected`` False: the page says "usage not collected")."""

    start: datetime
    end: datetime
    rows: tuple[TenantUsageRow, ...] = ()
    collected: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountSlots:
    """One stamp account's deployments against the stamp's per-account limit (Azure allows 32)."""

    stamp: str
    account: str
    shared: int  # the stamp's shared deployments (every account carries them all)
    tenant_owned: int  # dedicated-deployment tenants' own deployments placed here
    tenants: int
    limit: int
    max_accounts: int

    @property
    def used(self) -> int:
        return self.shared + self.tenant_owned


@dataclass(frozen=True)
class FleetReport:
    manifest_name: str
    generated: datetime
    source: str  # "manifest" | "observed"
    diagram: FleetDiagram
    quota: QuotaReport
    usage: UsageSection
    slots: tuple[AccountSlots, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
