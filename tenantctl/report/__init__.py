"""``tenantctl report --html``: one self-contained page with the fleet's picture, utilisation,
quota headroom and usage per tenant (:mod:`.page` renders, :mod:`.collect` reads usage through the
usage port, :mod:`.model` is the typed input of the page)."""

from __future__ import annotations

from tenantctl.report.collect import collect_usage, usage_rows
from tenantctl.report.model import FleetReport, TenantUsageRow, UsageSection
from tenantctl.report.page import GENERATOR, render_html

__all__ = ["GENERATOR", "FleetReport", "TenantUsageRow", "UsageSection", "collect_usage", "render_html", "usage_rows"]
