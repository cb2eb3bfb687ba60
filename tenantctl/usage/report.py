"""The records of a usage report: per tenant, per deployment, with cost and right-sizing.

``tenantctl usage -o json`` data schema (inside the versioned envelope)::

    {"window": {"start": iso, "end": iso, "granularity": "1h"|"1d", "partial": bool},
     "currency": str|null,
     "tenants": [{"tenant": str, "isolation": str, "location": str, "stamp": str|null,
                  "visibility": "visible"|"no data"|"not visible", "note": str,
                  "prompt_tokens": int, "completion_tokens": int, "requests": int,
                  "throttled_requests": int, "peak_tpm": int, "peak_basis": "minute"|"hour average"|"day average",
                  "allocated_tpm": int|null, "allocated_ptu": int|null,
                  "cost": str|null, "cost_complete": bool,
                  "deployments": [{"deployment": str, "azure_name": str, "account": str, "model": str,
                                   "sku": str, "capacity": int, "unit": "K TPM"|"PTU"|"TPM",
                                   "prompt_tokens": int, ..., "peak_tpm": int, "cost": str|null,
                                   "priced": bool}],
                  "recommendations": [{"action": "raise"|"lower"|"keep", "field": str,
                                       "current": int, "proposed": int, "unit": str, "evidence": str}],
                  "series": [{"start": iso, "prompt_tokens": int, "completion_tokens": int,
                              "requests": int, "throttled_requests": int}]}],
     "totals": {"prompt_tokens": int, "completion_tokens": int, "requests": int,
                "throttled_requests": int, "cost": str|null}}

Costs are decimal strings (no float rounding in a bill); a tenant's cost is the sum of its
deployments', the total the sum of the tenants'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tenantctl.diagnostics import Diagnostic
from tenantctl.resources import UsagePoint

__all__ = [
    "GRANULARITIES",
    "DeploymentUsage",
    "Recommendation",
    "TenantUsage",
    "UsageReport",
    "UsageTotals",
]

GRANULARITIES: dict[str, dt.timedelta] = {"1h": dt.timedelta(hours=1), "1d": dt.timedelta(days=1)}
VISIBLE, NO_DATA, NOT_VISIBLE = "visible", "no data", "not visible"


@dataclass(frozen=True)
class UsageTotals:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    throttled_requests: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.requests + other.requests,
            self.throttled_requests + other.throttled_requests,
        )

    def to_json(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "requests": self.requests,
            "throttled_requests": self.throttled_requests,
        }


@dataclass(frozen=True)
class DeploymentUsage:
    """One deployment a tenant owns (or, for a shared tenant, its budget on the stamp)."""

    deployment: str  # the manifest's name (``chat``)
    azure_name: str  # the Azure deployment name (``litware--chat`` on a stamp); "" for a shared budget
    account: str  # account name; "" for a shared budget (the gateway's view)
    model: str
    sku: str
    capacity: int  # in ``unit``
    unit: str  # "K TPM" | "PTU" | "TPM" (a shared budget)
    totals: UsageTotals
    peak_tpm: int
    cost: Decimal | None  # None: no price for this model/SKU
    field: str  # the manifest key that allocates it: "deployments.chat.capacity" or "tpm"

    @property
    def allocated_tpm(self) -> int | None:
        if self.unit == "PTU":
            return None
        return self.capacity * 1000 if self.unit == "K TPM" else self.capacity

    def to_json(self) -> dict[str, Any]:
        return {
            "deployment": self.deployment,
            "azure_name": self.azure_name,
            "account": self.account,
            "model": self.model,
            "sku": self.sku,
            "capacity": self.capacity,
            "unit": self.unit,
            **self.totals.to_json(),
            "peak_tpm": self.peak_tpm,
            "cost": None if self.cost is None else str(self.cost),
            "priced": self.cost is not None,
        }


@dataclass(frozen=True)
class Recommendation:
    """One right-sizing proposal for one manifest key, with the evidence it rests on (docs/usage.md)."""

    tenant: str
    action: str  # "raise" | "lower" | "keep"
    field: str  # manifest key below [tenants.<id>]: "tpm" or "deployments.<name>.capacity"
    current: int
    proposed: int
    unit: str
    evidence: str

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "field": self.field,
            "current": self.current,
            "proposed": self.proposed,
            "unit": self.unit,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class TenantUsage:
    """One row per tenant: what it consumed, what it is allocated, what it costs, what to change."""

    tenant: str
    isolation: str
    location: str
    stamp: str | None
    visibility: str  # "visible" | "no data" | "not visible"
    note: str
    deployments: tuple[DeploymentUsage, ...]
    peak_tpm: int
    peak_basis: str  # "minute" (gateway) | "hour average" | "day average" (platform metrics at that grain)
    recommendations: tuple[Recommendation, ...] = ()
    series: tuple[UsagePoint, ...] = ()  # at the report's granularity, deployments summed

    @property
    def totals(self) -> UsageTotals:
        out = UsageTotals()
        for d in self.deployments:
            out += d.totals
        return out

    @property
    def allocated_tpm(self) -> int | None:
        values = [d.allocated_tpm for d in self.deployments if d.allocated_tpm is not None]
        return sum(values) if values else None

    @property
    def allocated_ptu(self) -> int | None:
        values = [d.capacity for d in self.deployments if d.unit == "PTU"]
        return sum(values) if values else None

    @property
    def cost(self) -> Decimal | None:
        """Sum of the priced deployments (None when none is priced)."""
        priced = [d.cost for d in self.deployments if d.cost is not None]
        return sum(priced, Decimal(0)) if priced else None

    @property
    def cost_complete(self) -> bool:
        return all(d.cost is not None for d in self.deployments)

    def to_json(self) -> dict[str, Any]:
        cost = self.cost
        return {
            "tenant": self.tenant,
            "isolation": self.isolation,
            "location": self.location,
            "stamp": self.stamp,
            "visibility": self.visibility,
            "note": self.note,
            **self.totals.to_json(),
            "peak_tpm": self.peak_tpm,
            "peak_basis": self.peak_basis,
            "allocated_tpm": self.allocated_tpm,
            "allocated_ptu": self.allocated_ptu,
            "cost": None if cost is None else str(cost),
            "cost_complete": self.cost_complete,
            "deployments": [d.to_json() for d in self.deployments],
            "recommendations": [r.to_json() for r in self.recommendations],
            "series": [
                {
                    "start": p.start.isoformat(),
                    "prompt_tokens": p.prompt_tokens,
                    "completion_tokens": p.completion_tokens,
                    "requests": p.requests,
                    "throttled_requests": p.throttled_requests,
                }
                for p in self.series
            ],
        }


@dataclass(frozen=True)
class UsageReport:
    """Everything ``tenantctl usage`` shows; the typed API of the HTML report (``collect_usage``)."""

    start: dt.datetime
    end: dt.datetime
    granularity: str  # "1h" | "1d"
    currency: str | None  # None: the manifest has no [pricing]
    tenants: tuple[TenantUsage, ...]
    partial: bool = False  # some data could not be read or priced: see the diagnostics
    diagnostics: tuple[Diagnostic, ...] = ()  # what could not be read, attributed or priced

    @property
    def totals(self) -> UsageTotals:
        out = UsageTotals()
        for t in self.tenants:
            out += t.totals
        return out

    @property
    def cost(self) -> Decimal | None:
        costs = [t.cost for t in self.tenants if t.cost is not None]
        return sum(costs, Decimal(0)) if costs else None

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        return tuple(r for t in self.tenants for r in t.recommendations)

    def to_json(self) -> dict[str, Any]:
        cost = self.cost
        return {
            "window": {
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "granularity": self.granularity,
                "partial": self.partial,
            },
            "currency": self.currency,
            "tenants": [t.to_json() for t in self.tenants],
            "totals": {**self.totals.to_json(), "cost": None if cost is None else str(cost)},
        }
