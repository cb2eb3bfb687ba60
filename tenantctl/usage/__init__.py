"""Per-tenant usage, chargeback and right-sizing (issue 17): a read-only pipeline stage.

``collect_usage`` reads Azure Monitor (accounts' platform metrics, the gateway's token metrics) and
joins it with the manifest into a :class:`UsageReport`; ``apply_recommendations`` writes its
right-sizing into the manifest text. Rules: docs/usage.md.
"""

from __future__ import annotations

from tenantctl.usage.apply import AppliedRecommendations, apply_recommendations
from tenantctl.usage.collect import RETENTION, UsageCloud, collect_usage
from tenantctl.usage.report import (
    GRANULARITIES,
    DeploymentUsage,
    Recommendation,
    TenantUsage,
    UsageReport,
    UsageTotals,
)

__all__ = [
    "GRANULARITIES",
    "RETENTION",
    "AppliedRecommendations",
    "DeploymentUsage",
    "Recommendation",
    "TenantUsage",
    "UsageCloud",
    "UsageReport",
    "UsageTotals",
    "apply_recommendations",
    "collect_usage",
]
