"""Plain-text lines for a plan: summary first, then one section per tenant and stamp (pure, no rich).

The scenario goldens (``plan.txt``) are written with it and the CLI's human view reuses it, so
what a reviewer approves in a test is what an SRE reads in a terminal.  No-op rows are counted,
not listed.  Each line is a :class:`PlanLine` that says what it is (a change of which action, a
heading, a short quota line, an error ...), so the renderer styles it by kind, never by its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from tenantctl.diagnostics import Severity
from tenantctl.manifest.model import capacity_label
from tenantctl.planning.model import Action, Change, Plan, QuotaLine
from tenantctl.planning.successors import SUCCESSOR_REASON
from tenantctl.resources import (
    Account,
    Blocklist,
    DeletedAccount,
    Deployment,
    DiagnosticSetting,
    PrivateEndpoint,
    RaiPolicy,
    ResourceGroup,
    VaultKeys,
)
from tenantctl.wording import count_of

__all__ = ["LineKind", "PlanLine", "describe", "plan_lines", "plan_view", "summary_line"]


class LineKind(str, Enum):
    SUMMARY = "summary"  # Plan: 3 to create, ... / No changes.
    NOTE = "note"  # (12 resource(s) unchanged)
    BLANK = "blank"
    HEADING = "heading"  # a section: provider, stamp x, tenant x, Quota, Diagnostics
    PHASE = "phase"  # a migrating tenant's phase heading
    # A change line, one kind per action (the values are Action's).
    NOOP = "no-op"  # a migration's old generation kept until --retire
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    PURGE = "purge"
    RESTORE = "restore"
    DETAIL = "detail"  # under a change or a diagnostic: a field, why, outage, depends on, detail
    QUOTA = "quota"
    QUOTA_SHORT = "quota-short"  # a quota line the plan does not fit in
    ERROR = "error"  # a diagnostic, by severity
    WARNING = "warning"
    BLOCKED = "blocked"  # the closing line of a plan that cannot be applied


@dataclass(frozen=True)
class PlanLine:
    kind: LineKind
    text: str


_BLANK = PlanLine(LineKind.BLANK, "")


def summary_line(plan: Plan) -> str:
    """``Plan: 3 to create, 1 to update, 1 to replace, 0 to delete.`` (+ purge/restore when present)."""
    if not plan.has_changes:
        return "No changes." + ("" if plan.diagnostics else " Azure matches the manifest.")
    parts = [
        f"{plan.count(Action.CREATE)} to create",
        f"{plan.count(Action.UPDATE)} to update",
        f"{plan.count(Action.REPLACE)} to replace",
        f"{plan.count(Action.DELETE)} to delete",
    ]
    parts += [f"{plan.count(a)} to {a.value}" for a in (Action.RESTORE, Action.PURGE) if plan.count(a)]
    return "Plan: " + ", ".join(parts) + "."


def describe(resource: object) -> str:
    """One short phrase naming a resource and its key settings."""
    if isinstance(resource, Deployment):
        return (
            f"deployment {resource.name} on {resource.account.name}: {resource.model} {resource.version} "
            f"{resource.sku} {capacity_label(resource.sku, resource.capacity)}"
        )
    if isinstance(resource, (Account, DeletedAccount)):
        where = f"{resource.ref.resource_group}, {resource.location}"
        return f"account {resource.ref.name} ({where})" + (
            " [soft-deleted]" if isinstance(resource, DeletedAccount) else ""
        )
    if isinstance(resource, RaiPolicy):
        return (
            f"rai-policy {resource.name} on {resource.account.name} (base {resource.base_policy}, {resource.severity})"
        )
    if isinstance(resource, Blocklist):
        return f"blocklist {resource.name} on {resource.account.name} ({count_of(len(resource.terms), 'term')})"
    if isinstance(resource, (ResourceGroup, PrivateEndpoint, DiagnosticSetting, VaultKeys)):
        return _describe_outside_account(resource)
    return repr(resource)


def _describe_outside_account(resource: ResourceGroup | PrivateEndpoint | DiagnosticSetting | VaultKeys) -> str:
    """Resources that are not an account or one of its children in Azure's terms."""
    if isinstance(resource, VaultKeys):
        active = f", active {resource.active_key}" if resource.active_key else ""
        vault = resource.vault_id.rsplit("/", 1)[-1]
        return (
            f"account-keys of {resource.account.name} in vault {vault} as {resource.name}, {resource.name}1/2{active}"
        )
    if isinstance(resource, ResourceGroup):
        return f"resource-group {resource.name} ({resource.subscription_id}, {resource.location})"
    if isinstance(resource, PrivateEndpoint):
        subnet = "/".join(resource.subnet_id.split("/")[-3::2])  # vnet/subnet
        zones = ", ".join(z.rsplit("/", 1)[-1] for z in resource.dns_zone_ids)
        return (
            f"private-endpoint {resource.name} into {subnet} ({resource.location}{', DNS ' + zones if zones else ''})"
        )
    workspace = resource.workspace_id.rsplit("/", 1)[-1]
    categories = ", ".join((*resource.log_categories, *resource.metric_categories))
    return f"diagnostic-setting {resource.name} on {resource.account.name} -> {workspace} ({categories})"


def _section(c: Change) -> str:
    if c.tenant:
        return f"tenant {c.tenant}"
    if c.stamp:
        return f"stamp {c.stamp}"
    return "provider"


def _change_lines(c: Change) -> list[PlanLine]:
    shown = c.after if c.after is not None else c.before
    lines = [
        PlanLine(LineKind(c.action.value), f"  {c.action.symbol:>3} {c.address}  {c.action.value}: {describe(shown)}")
    ]
    details = []
    for f in c.changed_fields:
        mark = "  (forces replacement)" if f.forces_replace else ""
        details.append(f"        {f.name}: {f.before!r} -> {f.after!r}{mark}")
    if c.reason and (c.action is not Action.CREATE or c.reason.startswith(SUCCESSOR_REASON)):
        details.append(f"        why: {c.reason}")
    if c.outage:
        details.append(f"        outage: {c.outage}")
    if c.depends_on:
        details.append(f"        depends on: {', '.join(map(str, c.depends_on))}")
    return lines + [PlanLine(LineKind.DETAIL, text) for text in details]


_RETIRE_PHASE = 3
_PHASES = {
    1: "phase 1: create the new resources (make before break)",
    2: "phase 2: verify they are Succeeded, then switch routing (`tenantctl export routing`)",
    3: "phase 3: retire the old resources (`tenantctl apply --retire`, after routing has switched)",
}


def _phase_headings(phase: int, shown: set[int]) -> list[PlanLine]:
    """Headings for a migrating tenant's phases up to ``phase`` (phase 2 has no Azure change of its own)."""
    out = []
    for n in sorted(_PHASES):
        if n not in shown and (n == phase or n == 2 < phase):
            shown.add(n)
            out.append(PlanLine(LineKind.PHASE, f"  {_PHASES[n]}"))
    return out


def _quota_line(q: QuotaLine) -> PlanLine:
    short = q.is_short and bool(q.need)
    text = (
        f"  {q.location} {q.usage_name}: need {q.need:g}, frees {q.frees:g}, used {q.used:g}/{q.limit:g}, "
        f"headroom {q.headroom:g}{'  SHORT' if short else ''}"
    )
    return PlanLine(LineKind.QUOTA_SHORT if short else LineKind.QUOTA, text)


def plan_lines(plan: Plan) -> list[str]:
    """The whole plan as plain text lines (what the goldens pin)."""
    return [line.text for line in plan_view(plan)]


def plan_view(plan: Plan) -> list[PlanLine]:
    """The whole plan as typed lines: summary, sections in execution order, quota, diagnostics."""
    lines = [PlanLine(LineKind.SUMMARY, summary_line(plan))]
    unchanged = plan.count(Action.NOOP)
    if unchanged:
        lines.append(PlanLine(LineKind.NOTE, f"({count_of(unchanged, 'resource')} unchanged)"))
    sections: dict[str, list[Change]] = {}
    for c in plan.changes:
        # Phase 3 (a migration's old generation) is listed even when kept: "retire pending" is news.
        if c.action.is_change or c.phase == _RETIRE_PHASE:
            sections.setdefault(_section(c), []).append(c)
    for title in sorted(sections, key=lambda t: (not t.startswith("provider"), not t.startswith("stamp"), t)):
        lines += [_BLANK, PlanLine(LineKind.HEADING, title)]
        migrating = any(c.phase == _RETIRE_PHASE for c in sections[title])
        shown: set[int] = set()
        for c in sorted(sections[title], key=lambda c: c.phase) if migrating else sections[title]:
            if migrating and c.phase not in shown:
                lines += _phase_headings(c.phase, shown)
            lines += _change_lines(c)
    if plan.quota:
        lines += [_BLANK, PlanLine(LineKind.HEADING, "Quota")]
        lines += [_quota_line(q) for q in plan.quota]
    if plan.diagnostics:
        lines += [_BLANK, PlanLine(LineKind.HEADING, "Diagnostics")]
        for d in plan.diagnostics:
            kind = LineKind.ERROR if d.severity is Severity.ERROR else LineKind.WARNING
            lines.append(PlanLine(kind, f"  {d.severity.value}[{d.code}]: {d.summary}"))
            if d.detail:
                lines.append(PlanLine(LineKind.DETAIL, f"      {d.detail}"))
    if plan.is_blocked:
        lines += [_BLANK, PlanLine(LineKind.BLOCKED, "Apply is blocked until the errors above are resolved.")]
    return lines
