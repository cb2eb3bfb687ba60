"""Human views of ``status`` (one row per tenant) and ``quota`` (per region line, per stamp).

Built to stay readable at 1,000 tenants: one row per tenant, a summary line first, and plain
columns when not on a terminal so ``grep``/``awk`` work on the output.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from tenantctl.inspection.fleet import FleetStatus, QuotaReport
from tenantctl.render.console import out_console
from tenantctl.render.inspect import STATE_STYLES, table
from tenantctl.wording import count_of

__all__ = ["print_quota", "print_status"]


def _summary(status: FleetStatus) -> str:
    parts = [f"{count} {state}" for state, count in status.counts.items() if count]
    return f"{count_of(len(status.rows), 'tenant')}: " + (", ".join(parts) if parts else "none")


def print_status(status: FleetStatus, console: Console | None = None) -> None:
    con = console or out_console()
    con.print(f"[heading]{escape(_summary(status))}[/heading]")
    if not status.rows:
        return
    t = table(con, "TENANT", "ISOLATION", "WHERE", "DEPLOYMENTS", "STATE", "DETAIL")
    for r in status.rows:
        style = STATE_STYLES.get(r.state, "muted")
        deployments = f"{len(r.deployments)}: {', '.join(r.deployments)}" if r.deployments else "0"
        t.add_row(
            escape(r.tenant),
            escape(r.isolation),
            escape(r.where),
            escape(deployments),
            f"[{style}]{escape(r.state)}[/{style}]",
            escape(r.detail),
        )
    con.print(t)


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def print_quota(report: QuotaReport, console: Console | None = None) -> None:
    con = console or out_console()
    con.print("[heading]Quota[/heading] per subscription × region × usage line (capacity units: K TPM or PTU)")
    # A subscription pool repeats each region once per member: then the subscription is a column.
    pooled = len({line.subscription_id.lower() for line in report.lines}) > 1
    t = table(
        con, *(("SUBSCRIPTION",) if pooled else ()), "REGION", "USAGE", "UNIT", "LIMIT", "USED", "ALLOCATED", "HEADROOM"
    )
    t.columns[2 if pooled else 1].no_wrap = True
    for line in report.lines:
        headroom = _num(line.headroom)
        if line.headroom is not None and line.headroom < 0:
            headroom = f"[error]{headroom}[/error]"
        elif line.headroom is not None and line.limit and line.headroom < 0.1 * line.limit:
            headroom = f"[warning]{headroom}[/warning]"
        t.add_row(
            *((escape(line.subscription_id),) if pooled else ()),
            escape(line.location),
            escape(line.usage_name),
            line.unit,
            _num(line.limit),
            _num(line.used),
            _num(line.allocated),
            headroom,
        )
    con.print(t)
    if not report.stamps:
        return
    con.print()
    con.print("[heading]Stamps[/heading] shared budgets against capacity × overcommit")
    s = table(con, "STAMP", "REGION", "DEPLOYMENT", "ACCOUNTS", "CAPACITY", "OVERCOMMIT", "BUDGETS", "TENANTS", "USE")
    for stamp in report.stamps:
        for d in stamp.deployments:
            use = "-" if d.utilisation is None else f"{d.utilisation:.1%}"
            if d.utilisation is not None and d.utilisation > 1:
                use = f"[error]{use}[/error]"
            s.add_row(
                escape(stamp.stamp),
                escape(stamp.location),
                escape(d.name),
                str(stamp.accounts),
                f"{d.capacity_tpm:,} TPM" if d.capacity_tpm is not None else f"{d.capacity} PTU",
                f"{stamp.overcommit:g}",
                f"{d.budgets_tpm:,} TPM",
                str(d.tenants),
                use,
            )
    con.print(s)
    _shared_accounts(con, report)


def _shared_accounts(con: Console, report: QuotaReport) -> None:
    """Where each shared tenant lives: the stamp account its budget is carried by (routing agrees)."""
    rows = [(stamp, line) for stamp in report.stamps for line in stamp.shared_accounts]
    if not rows:
        return
    con.print()
    con.print("[heading]Shared tenants[/heading] per stamp account")
    t = table(con, "STAMP", "ACCOUNT", "DEPLOYMENT", "BUDGETS", "ALLOWED", "USE", "TENANTS")
    for stamp, line in rows:
        use = "-" if line.utilisation is None else f"{line.utilisation:.1%}"
        if line.utilisation is not None and line.utilisation > 1:
            use = f"[error]{use}[/error]"
        t.add_row(
            escape(stamp.stamp),
            escape(line.account),
            escape(line.deployment),
            f"{line.budgets_tpm:,} TPM",
            "-" if line.allowed_tpm is None else f"{line.allowed_tpm:,.0f} TPM",
            use,
            escape(", ".join(line.tenants)),
        )
    con.print(t)
