"""Gather what the report shows: placement, the diagram, quota and usage (reads only, through the ports)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from tenantctl.cloud.port import CloudPort
from tenantctl.desired import DesiredState
from tenantctl.diagnostics import Diagnostics
from tenantctl.errors import UsageError
from tenantctl.export.diagram import as_warnings, build_diagram
from tenantctl.inspection.fleet import quota_report
from tenantctl.manifest.model import Manifest
from tenantctl.observation import observe_accounts, observe_quota
from tenantctl.planning.placement import placed_desired_state
from tenantctl.report.model import AccountSlots, FleetReport, UsageSection
from tenantctl.report.usage_rows import NOT_COLLECTED, usage_section
from tenantctl.resources import Account, Deployment
from tenantctl.usage import UsageCloud, collect_usage

__all__ = ["MAX_WINDOW", "account_slots", "fleet_report", "parse_since", "usage_window"]

# Azure Monitor keeps platform metrics 93 days: a longer window could only be partly answered.
MAX_WINDOW = timedelta(days=93)
_SINCE = re.compile(r"(\d{1,4})([dh])")


def parse_since(text: str) -> timedelta:
    """``30d`` / ``24h`` → a window length, 1 hour to 93 days; anything else is a usage error."""
    match = _SINCE.fullmatch(text.strip().lower())
    if match is None:
        raise UsageError(
            f"--since {text!r} is not a window such as 30d or 24h", code="bad-option", hint="Days (d) or hours (h)."
        )
    amount = int(match[1])
    window = timedelta(days=amount) if match[2] == "d" else timedelta(hours=amount)
    if not timedelta(hours=1) <= window <= MAX_WINDOW:
        raise UsageError(
            f"--since {text} is outside 1h–93d",
            code="bad-option",
            hint="Azure Monitor keeps platform metrics 93 days; usage is read in whole hours.",
        )
    return window


def usage_window(since: timedelta, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) ending at the start of the current hour: metrics arrive per whole hour."""
    end = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return end - since, end


def account_slots(manifest: Manifest, desired: DesiredState) -> tuple[AccountSlots, ...]:
    """Per stamp account (sorted): shared and tenant-owned deployments against the per-account limit."""
    stamp_of = {
        item.resource.ref.key: (item.stamp, item.resource.ref.name)
        for item in desired.items
        if isinstance(item.resource, Account) and item.stamp is not None and item.tenant is None
    }
    shared: dict[str, int] = dict.fromkeys(stamp_of, 0)
    owned: dict[str, int] = dict.fromkeys(stamp_of, 0)
    owners: dict[str, set[str]] = {key: set() for key in stamp_of}
    for item in desired.items:
        r = item.resource
        if not isinstance(r, Deployment) or r.account.key not in stamp_of:
            continue
        if item.tenant is None:
            shared[r.account.key] += 1
        else:
            owned[r.account.key] += 1
            owners[r.account.key].add(item.tenant)
    out = []
    for key, (stamp_id, name) in sorted(stamp_of.items(), key=lambda kv: (kv[1][0] or "", kv[1][1])):
        stamp = manifest.stamps[stamp_id or ""]
        out.append(
            AccountSlots(
                stamp_id or "",
                name,
                shared[key],
                owned[key],
                len(owners[key]),
                stamp.max_deployments_per_account,
                stamp.max_accounts,
            )
        )
    return tuple(out)


def fleet_report(
    manifest: Manifest,
    cloud: CloudPort,
    *,
    usage_cloud: UsageCloud | None,
    since: timedelta,
    now: datetime,
    gateway_workspace: str | None,
) -> tuple[FleetReport, Diagnostics]:
    """Observe the accounts (sticky placement), quota per region, and usage in the window (hourly,
    through :func:`tenantctl.usage.collect_usage`); build the report."""
    observed = observe_accounts(manifest, cloud)
    desired, placement = placed_desired_state(manifest, observed)
    quota_read = observe_quota(manifest, cloud)  # read once: the quota section and usage's headroom
    quota = quota_report(manifest, quota_read)
    start, end = usage_window(since, now)
    diagnostics = Diagnostics()
    diagnostics.extend(as_warnings(placement.diagnostics))
    if usage_cloud is None:
        unread = "usage not collected: this cloud offers no usage reads"
        usage = UsageSection(start, end, notes=(unread,))
        diagnostics.warning("usage-partial", unread)
    else:
        read = collect_usage(
            manifest,
            usage_cloud,
            start=start,
            end=end,
            granularity="1h",
            gateway_workspace=gateway_workspace,
            now=now,
            quota=quota_read,
        )
        diagnostics.extend(read.diagnostics)  # what could not be read, attributed or priced, with its code
        usage = usage_section(manifest, read)
        if not usage.collected:
            diagnostics.warning("usage-partial", NOT_COLLECTED)
    report = FleetReport(
        manifest.provider.manifest_name,
        now.astimezone(timezone.utc),
        "observed",
        build_diagram(manifest, desired),
        quota,
        usage,
        account_slots(manifest, desired),
    )
    return report, diagnostics
