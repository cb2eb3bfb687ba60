"""Human views of ``models`` (model versions by nearest retirement) and ``upgrade`` (one wave's edits)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from tenantctl.inspection.models import ModelInventory, ModelVersionRow
from tenantctl.planning.upgrade import UpgradeWave
from tenantctl.render.console import out_console
from tenantctl.render.inspect import table
from tenantctl.wording import count_of

__all__ = ["print_models", "print_upgrade"]


def _retires(row: ModelVersionRow) -> str:
    if not row.offered:
        return "[error]not offered here[/error]"
    if row.retirement is None:
        return "-"
    text = f"{row.retirement.isoformat()} ({row.days_to_retirement} days)"
    return f"[warning]{text}[/warning]" if row.retiring_soon else text


def print_models(inventory: ModelInventory, console: Console | None = None) -> None:
    con = console or out_console()
    versions = count_of(len(inventory.rows), "model version")
    con.print(f"[heading]{versions} in use[/heading], nearest retirement first (today {inventory.today.isoformat()})")
    if not inventory.rows:
        return
    t = table(con, "MODEL", "VERSION", "REGION", "RETIRES", "LIFECYCLE", "TENANTS", "DEPLOYMENTS", "AUTO-UPGRADE")
    for row in inventory.rows:
        deployments = sorted({f"{u.owner}/{u.deployment}" for u in row.users if u.tenant in (None, u.owner)})
        riders = sorted({u.tenant for u in row.users if u.tenant is not None and u.owner != u.tenant})
        options = sorted({u.version_upgrade_option for u in row.users})
        t.add_row(
            escape(row.model),
            escape(row.version),
            escape(row.region),
            _retires(row),
            escape(row.lifecycle or "-"),
            str(len(row.tenants)),
            escape(", ".join(deployments) + (f" (shared: {', '.join(riders)})" if riders else "")),
            escape(", ".join(options)),
        )
    con.print(t)


def print_upgrade(wave: UpgradeWave, console: Console | None = None) -> None:
    con = console or out_console()
    verb = "would move" if wave.dry_run else "moved"
    con.print(
        f"[heading]Wave {escape(wave.wave)}[/heading]: {verb} {count_of(len(wave.moved), 'owner')} "
        f"to {escape(wave.target)} ({len(wave.upgraded_before)} already on it, {len(wave.remaining)} left after)"
    )
    if wave.edits:
        t = table(con, "OWNER", "DEPLOYMENT", "REGION", "FROM", "TO", "VERSION UPGRADE OPTION")
        for e in wave.edits:
            t.add_row(
                escape(e.owner),
                escape(e.deployment),
                escape(e.region),
                escape(e.before),
                escape(e.after),
                escape(e.version_upgrade_option),
            )
        con.print(t)
    for owner, policy in wave.skipped:
        con.print(f"[muted]skipped {escape(owner)}: upgrade_policy = {escape(policy)}[/muted]")
    if not wave.dry_run and wave.edits:
        con.print("Next: `tenantctl plan`, `tenantctl apply`, then the next wave once these deployments are live.")
