"""``tenantctl report --html``: one self-contained page with the fleet's picture, utilisation,
quota headroom and usage per tenant (:mod:`.page` renders, :mod:`.usage_rows` lays out what
:func:`tenantctl.usage.collect_usage` read, :mod:`.model` is the typed input of the page)."""

from __future__ import annotations

from tenantctl.report.model import FleetReport, TenantUsageRow, UsageSection
from tenantctl.report.page import GENERATOR, render_html
from tenantctl.report.usage_rows import usage_section

__all__ = ["GENERATOR", "FleetReport", "TenantUsageRow", "UsageSection", "render_html", "usage_section"]
