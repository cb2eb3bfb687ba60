"""Plain-text lines for a plan: summary first, then one section per tenant and stamp (pure, no rich).

The scenario goldens (``plan.txt``) are written with it and the CLI's human view reuses it, so
what a reviewer approves in a test is what an SRE reads in a terminal.  No-op rows are counted,
not listed.
"""

from __future__ import annotations

from tenantctl.manifest.model import capacity_label
from tenantctl.planning.model import Action, Change, Plan, QuotaLine
from tenantctl.resources import Account, Blocklist, DeletedAccount, Deployment, RaiPolicy, ResourceGroup

__all__ = ["describe", "plan_lines", "summary_line"]


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
        return f"blocklist {resource.name} on {resource.account.name} ({len(resource.terms)} terms)"
    if isinstance(resource, ResourceGroup):
        return f"resource-group {resource.name} ({resource.subscription_id}, {resource.location})"
    return repr(resource)


def _section(c: Change) -> str:
    if c.tenant:
        return f"tenant {c.tenant}"
    if c.stamp:
        return f"stamp {c.stamp}"
    return "provider"


def _change_lines(c: Change) -> list[str]:
    shown = c.after if c.after is not None else c.before
    lines = [f"  {c.action.symbol:>3} {c.address}  {c.action.value}: {describe(shown)}"]
    for f in c.changed_fields:
        mark = "  (forces replacement)" if f.forces_replace else ""
        lines.append(f"        {f.name}: {f.before!r} -> {f.after!r}{mark}")
    if c.reason and c.action is not Action.CREATE:
        lines.append(f"        why: {c.reason}")
    if c.outage:
        lines.append(f"        outage: {c.outage}")
    if c.depends_on:
        lines.append(f"        depends on: {', '.join(map(str, c.depends_on))}")
    return lines


_RETIRE_PHASE = 3
_PHASES = {
    1: "phase 1: create the new resources (make before break)",
    2: "phase 2: verify they are Succeeded, then switch routing (`tenantctl export routing`)",
    3: "phase 3: retire the old resources (`tenantctl apply --retire`, after routing has switched)",
}


def _phase_headings(phase: int, shown: set[int]) -> list[str]:
    """Headings for a migrating tenant's phases up to ``phase`` (phase 2 has no Azure change of its own)."""
    out = []
    for n in sorted(_PHASES):
        if n not in shown and (n == phase or n == 2 < phase):
            shown.add(n)
            out.append(f"  {_PHASES[n]}")
    return out


def _quota_line(q: QuotaLine) -> str:
    flag = "  SHORT" if q.is_short and q.need else ""
    return (
        f"  {q.location} {q.usage_name}: need {q.need:g}, frees {q.frees:g}, used {q.used:g}/{q.limit:g}, "
        f"headroom {q.headroom:g}{flag}"
    )


def plan_lines(plan: Plan) -> list[str]:
    """The whole plan as lines: summary, sections in execution order, quota, diagnostics."""
    lines = [summary_line(plan)]
    unchanged = plan.count(Action.NOOP)
    if unchanged:
        lines.append(f"({unchanged} resource(s) unchanged)")
    sections: dict[str, list[Change]] = {}
    for c in plan.changes:
        # Phase 3 (a migration's old generation) is listed even when kept: "retire pending" is news.
        if c.action.is_change or c.phase == _RETIRE_PHASE:
            sections.setdefault(_section(c), []).append(c)
    for title in sorted(sections, key=lambda t: (not t.startswith("provider"), not t.startswith("stamp"), t)):
        lines += ["", title]
        migrating = any(c.phase == _RETIRE_PHASE for c in sections[title])
        shown: set[int] = set()
        for c in sorted(sections[title], key=lambda c: c.phase) if migrating else sections[title]:
            if migrating and c.phase not in shown:
                lines += _phase_headings(c.phase, shown)
            lines += _change_lines(c)
    if plan.quota:
        lines += ["", "Quota"]
        lines += [_quota_line(q) for q in plan.quota]
    if plan.diagnostics:
        lines += ["", "Diagnostics"]
        for d in plan.diagnostics:
            lines.append(f"  {d.severity.value}[{d.code}]: {d.summary}")
            if d.detail:
                lines.append(f"      {d.detail}")
    if plan.is_blocked:
        lines += ["", "Apply is blocked until the errors above are resolved."]
    return lines
