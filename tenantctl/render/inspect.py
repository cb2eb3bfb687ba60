"""Human view of ``inspect <tenant>``: one screen, facts first, then tables, problems highlighted.

Tables have borders on a terminal and are plain aligned columns otherwise (pipes, logs, goldens);
colour follows the console (never with NO_COLOR).  Every value comes from the
:class:`~tenantctl.inspection.report.TenantReport`; this module only arranges it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tenantctl.inspection.report import FATE_TEXT, DeploymentView, DriftView, TenantReport
from tenantctl.render.console import out_console
from tenantctl.wording import count_of

__all__ = ["STATE_STYLES", "print_inspect", "table"]

STATE_STYLES = {
    "in sync": "success",
    "drift": "update",
    "missing": "warning",
    "error": "error",
    "unverified": "muted",
    "not in manifest": "warning",
}
_UPGRADE = {
    "OnceNewDefaultVersionAvailable": "latest",
    "OnceCurrentVersionExpired": "expiry",
    "NoAutoUpgrade": "never",
}
_MARKS = {
    "ok": "[success]✓[/success]",
    "warning": "[warning]![/warning]",
    "failed": "[error]✗[/error]",
    "skipped": "[muted]-[/muted]",
}


def table(console: Console, *headers: str) -> Table:
    """A table with borders on a terminal, plain columns elsewhere (easy to grep and diff)."""
    framed = console.is_terminal
    t = Table(box=box.SIMPLE_HEAD if framed else None, show_edge=False, pad_edge=False, header_style="heading")
    for h in headers:
        # A header never folds letter by letter; long values fold instead.
        t.add_column(h, overflow="fold", min_width=len(h))
    return t


def _state(state: str) -> str:
    style = STATE_STYLES.get(state, "muted")
    return f"[{style}]{escape(state)}[/{style}]"


def _capacity(d: DeploymentView) -> str:
    """``50K TPM`` (Azure's unit is 1,000 TPM) or ``50 PTU``."""
    return f"{d.ptu:,} PTU" if d.ptu is not None else f"{d.capacity:,}K TPM"


def _retires(d: DeploymentView) -> str:
    if d.deprecation is None:
        return "[muted]unknown[/muted]"
    text = d.deprecation.isoformat()
    return f"[warning]{text} ({d.days_to_retirement}d)[/warning]" if d.retiring_soon else text


def _facts(console: Console, r: TenantReport) -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="heading", no_wrap=True)
    grid.add_column(overflow="fold")
    p = r.placement
    where = []
    if p.account:
        where.append(
            f"account {p.account}" + ("" if p.exists or r.isolation == "tenant-provided" else " (not in Azure)")
        )
    if p.stamp:
        where.append(f"stamp {p.stamp}")
    if p.resource_group:
        where.append(f"resource group {p.resource_group}")
    if p.subscription_id:
        where.append(f"subscription {p.subscription_id}")
    if p.region:
        where.append(p.region)
    grid.add_row("where", escape(", ".join(where) or "unknown"))
    grid.add_row("endpoint", escape(r.endpoint or "-"))
    if r.residency:
        grid.add_row("residency", escape(r.residency))
    if r.network is not None:
        n = r.network
        text = "public access " + ("enabled" if n.public_access else "disabled")
        text += (
            "; allowed IPs " + ", ".join(n.allowed_ips)
            if n.allowed_ips
            else ("; no IP rules" if n.public_access else "")
        )
        grid.add_row("network", escape(text) + ("" if n.in_azure else " [muted](manifest; not in Azure)[/muted]"))
    _baseline_rows(grid, r)
    if r.content_filter is not None:
        f = r.content_filter
        text = f"{f.policy}: base {f.base}, severity {f.severity}"
        for name, terms in f.blocklists:
            text += f"; blocklist {name} ({count_of(len(terms), 'term')}: {', '.join(terms)})"
        if f.blocklists and not f.terms_read:
            text += " (terms as declared; `tenantctl plan` compares them)"
        grid.add_row("content filter", escape(text) + ("" if f.in_azure else " [warning](not in Azure)[/warning]"))
    tags = r.azure_tags if r.azure_tags is not None else r.manifest_tags
    label = "tags" if r.azure_tags is not None else "tags (manifest)"
    grid.add_row(label, escape(", ".join(f"{k}={v}" for k, v in sorted(tags.items())) or "none"))
    console.print(grid)


def _baseline_rows(grid: Table, r: TenantReport) -> None:
    """Authentication, identity, firewall extras, private endpoints and diagnostics of a dedicated account."""
    b = r.baseline
    if b is None:
        return
    note = "" if b.in_azure else " [muted](manifest; not in Azure)[/muted]"
    auth = "keys and Entra ID (local auth on)" if b.local_auth else "Entra ID only (local auth off)"
    grid.add_row("auth", escape(f"{auth}; identity {b.identity}") + note)
    rules = [f"default {b.default_action or '-'}"]
    if b.virtual_network_rules:
        rules.append("subnets " + ", ".join("/".join(s.split("/")[-3::2]) for s in b.virtual_network_rules))
    if b.bypass:
        rules.append(f"bypass {b.bypass}")
    grid.add_row("firewall", escape("; ".join(rules)) + note)
    for e in b.private_endpoints:
        zones = ", ".join(z.rsplit("/", 1)[-1] for z in e.dns_zone_ids) or "no DNS zone"
        status = f", {e.status}" if e.status else ""
        subnet = "/".join(e.subnet_id.split("/")[-3::2])
        grid.add_row("private endpoint", escape(f"{e.name} in {subnet} ({e.location}{status}; {zones})") + note)
    if b.diagnostics_workspace:
        workspace = b.diagnostics_workspace.rsplit("/", 1)[-1]
        grid.add_row("diagnostics", escape(f"{workspace}: {', '.join(b.diagnostics_categories)}") + note)


def _filter_name(name: str | None) -> str:
    # System policies are all "Microsoft.*": the prefix says nothing and costs a narrow column.
    if not name:
        return "-"
    return name.removeprefix("Microsoft.")


def _deployments(console: Console, r: TenantReport) -> None:
    if not r.deployments:
        return
    console.print()
    title = "Shared deployments" if r.budget is not None else "Deployments"
    console.print(f"[heading]{title}[/heading]")
    t = table(console, "NAME", "MODEL", "SKU", "CAPACITY", "FILTER", "STATE", "UPGRADE", "RETIRES")
    for index in (1, 2, 3, 5, 7):  # wrapped, these would read as two values; names and filters may fold
        t.columns[index].no_wrap = True
    for d in r.deployments:
        name = escape(d.name) if d.in_manifest else f"{escape(d.name)} [warning]*[/warning]"
        # "ok" for Succeeded keeps the row on a 100-column screen; anything else is worth reading in full.
        if d.provisioning_state is None:
            state = "[warning]missing[/warning]"
        elif d.provisioning_state == "Succeeded":
            state = "[success]ok[/success]"
        else:
            state = f"[warning]{escape(d.provisioning_state)}[/warning]"
        t.add_row(
            name,
            escape(f"{d.model} {d.version}"),
            escape(d.sku),
            _capacity(d),
            escape(_filter_name(d.rai_policy)),
            state,
            escape(_UPGRADE.get(d.version_upgrade_option, d.version_upgrade_option)),
            _retires(d),
        )
    console.print(t)
    for d in r.deployments:  # what each deployment the manifest does not name is, and what apply does with it
        if not d.in_manifest:
            console.print(
                f"  [warning]*[/warning] {escape(d.name)}: {escape(FATE_TEXT.get(d.fate or '', d.fate or ''))}"
            )


def _budget(console: Console, r: TenantReport) -> None:
    b = r.budget
    if b is None:
        return
    console.print()
    where = f" account {escape(b.account)}" if b.account else ""
    console.print(
        f"[heading]Budget[/heading] {b.tpm:,} TPM on stamp {escape(b.stamp)}{where} (overcommit {b.overcommit:g})"
    )
    t = table(console, "DEPLOYMENT", "CAPACITY", "ALLOWED", "TENANT SHARE", "ALL BUDGETS", "STAMP USE")
    for line in b.deployments:
        t.add_row(
            escape(line.name),
            f"{line.capacity_tpm:,} TPM" if line.capacity_tpm is not None else "PTU",
            f"{line.allowed_tpm:,.0f} TPM" if line.allowed_tpm is not None else "-",
            f"{line.share:.1%}" if line.share is not None else "-",
            f"{line.stamp_budgets_tpm:,} TPM",
            _percent(line.stamp_utilisation),
        )
    console.print(t)


def _percent(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.1%}"
    return f"[error]{text}[/error]" if value > 1 else text


def _roles(console: Console, r: TenantReport) -> None:
    if r.role_assignments is None:
        return
    console.print()
    if not r.role_assignments:
        console.print("[heading]Access[/heading] no role assignments at the account (inherited ones not shown)")
        return
    console.print("[heading]Access[/heading] role assignments at the account (inherited ones not shown)")
    t = table(console, "ROLE", "PRINCIPAL", "TYPE")
    for a in r.role_assignments:
        t.add_row(escape(a.role), escape(a.principal_id), escape(a.principal_type))
    console.print(t)


def _verification(console: Console, v: Mapping[str, Any] | None) -> None:
    if v is None:
        return
    console.print()
    if not v.get("available"):
        reason = escape(str(v.get("reason", "")))
        console.print(f"[heading]Verification[/heading] [warning]unavailable[/warning]: {reason}")
        if v.get("hint"):
            console.print(f"  [muted]{escape(str(v['hint']))}[/muted]")
        return
    verdict = "[success]verified[/success]" if v.get("ok") else "[error]not verified[/error]"
    console.print(f"[heading]Verification[/heading] {verdict} as the provider app {escape(str(v.get('client_id')))}")
    for c in v.get("checks", []):
        console.print(f"  {_MARKS.get(c['status'], '?')} {c['name']:<12} {escape(c['summary'])}")
        if c["status"] in ("failed", "warning"):
            if c.get("diagnosis"):
                console.print(f"      [muted]why:[/muted]  {escape(c['diagnosis'])}")
            if c.get("next_step"):
                console.print(f"      [muted]next:[/muted] {escape(c['next_step'])}")


def _drift(console: Console, r: TenantReport) -> None:
    console.print()
    if r.isolation == "tenant-provided":
        return
    changes = [d for d in r.drift if d.fate is None]
    orphans = [d for d in r.drift if d.fate is not None]
    if not r.drift:
        console.print("[heading]Drift[/heading] none: Azure matches the manifest")
        return
    if changes or r.in_manifest:
        console.print(f"[heading]Drift[/heading] {count_of(len(changes), 'change')} `tenantctl apply` would make")
    for d in changes:
        _drift_line(console, d)
    if orphans:
        console.print(
            f"[heading]Not in the manifest[/heading] {count_of(len(orphans), 'resource')} tagged for "
            + ("this tenant" if r.in_manifest else "this removed tenant")
        )
    for d in orphans:
        _drift_line(console, d)


def _drift_line(console: Console, d: DriftView) -> None:
    style = {"create": "create", "update": "update", "replace": "replace", "restore": "restore", "keep": "muted"}.get(
        d.action, "delete"
    )
    console.print(f"  [{style}]{escape(d.symbol)} {escape(d.address)}[/{style}] {escape(d.reason)}")
    for f in d.fields:
        note = " [replace](forces replacement)[/replace]" if f.forces_replace else ""
        console.print(f"      {escape(f.name)}: manifest {escape(str(f.manifest))}, Azure {escape(str(f.azure))}{note}")


def _leftovers(console: Console, r: TenantReport) -> None:
    if r.soft_deleted is None:
        return
    if not r.soft_deleted:
        console.print("[heading]Soft-deleted[/heading] none")
        return
    console.print("[heading]Soft-deleted[/heading] [warning]accounts held by Azure under the tenant's name[/warning]")
    for s in r.soft_deleted:
        when = f"deleted {s.deletion_date or '?'}, purge scheduled for {s.scheduled_purge_date or '?'}"
        console.print(f"  {escape(s.name)} ({escape(s.location)}) {when}")


def print_inspect(report: TenantReport, console: Console | None = None) -> None:
    """The one-screen view of a tenant."""
    con = console or out_console()
    r = report
    name = f" ({escape(r.display_name)})" if r.display_name else ""
    flags = ", protected" if r.protected else ""
    if not r.in_manifest:
        flags += ", removed from the manifest"
    con.print(
        f"[heading]Tenant {escape(r.tenant)}[/heading]{name}: {escape(r.isolation)}{flags} — state {_state(r.state)}"
    )
    _facts(con, r)
    _deployments(con, r)
    _budget(con, r)
    _roles(con, r)
    _verification(con, r.verification)
    _drift(con, r)
    _leftovers(con, r)
