"""``inspect``, ``status`` and ``quota``: read-only answers for support staff and SREs.

None of them ever writes to Azure. ``inspect`` reads only what concerns one tenant (≤ 6 ARM
requests for a dedicated tenant); ``status`` costs what a no-op ``plan`` costs; ``quota`` reads
the managed groups once and usages + models once per region.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tenantctl.cli.common import (
    EmulatorOpt,
    Globals,
    ManifestOpt,
    Outcome,
    OutputOpt,
    TodayOpt,
    VerboseOpt,
    parse_today,
    run_command,
)
from tenantctl.cli.completion import complete_tenant_id
from tenantctl.cli.plan_commands import ReverifyOpt
from tenantctl.cli.runtime import open_manifest_session

if TYPE_CHECKING:
    from tenantctl.manifest.model import Manifest
    from tenantctl.tenant_provided.verification import RoleWait

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
    app.command("status")(status)
    app.command("quota")(quota)


def _short_role_wait() -> RoleWait:
    # Support staff want an answer now; `byo verify` waits longer for role assignments to propagate.
    from tenantctl.tenant_provided.verification import RoleWait

    return RoleWait(total_seconds=2.0, first_delay=1.0)


def inspect(
    tenant: Annotated[
        str, typer.Argument(help="The tenant id, as in [tenants.<id>].", autocompletion=complete_tenant_id)
    ],
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="tenant-provided: run the access checks as the provider app.")
    ] = True,
    today: TodayOpt = None,
) -> None:
    """Everything about one tenant on one screen: placement, deployments, health, drift, access. Read-only."""
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.inspection import inspect_tenant
        from tenantctl.reconcile import load_valid_manifest

        loaded, warnings = load_valid_manifest(manifest)
        day = parse_today(today)
        with open_manifest_session(emulator, loaded) as session:
            # Only a tenant-provided tenant is verified (a manifest without one has no [provider.app]).
            # A tenant not in the manifest is looked for in Azure (a removed one may still be there).
            known = loaded.tenants.get(tenant)
            byo = known is not None and known.isolation.value == "tenant-provided"
            verifier = session.byo_verifier(loaded, role_wait=_short_role_wait()) if verify and byo else None
            result = inspect_tenant(loaded, session.cloud, tenant, today=day, verifier=verifier)
        report = result.report

        def human() -> None:
            from tenantctl.render.inspect import print_inspect

            print_inspect(report)

        warnings.extend(result.diagnostics)
        return Outcome(data=report.to_json(), human=human, diagnostics=warnings)

    run_command("inspect", g, body)


IsolationOpt = Annotated[
    str | None,
    typer.Option(
        "--isolation", help="Only tenants of this model: dedicated, dedicated-deployment, shared, tenant-provided."
    ),
]


def status(
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
    isolation: IsolationOpt = None,
    stamp: Annotated[str | None, typer.Option("--stamp", help="Only tenants on this stamp.")] = None,
    drift_only: Annotated[bool, typer.Option("--drift-only", help="Only tenants not in sync.")] = False,
    reverify: ReverifyOpt = False,
    today: TodayOpt = None,
) -> None:
    """One line per tenant: isolation, where, deployments, state. Read-only.

    States: in sync, drift, missing, error, unverified (tenant-provided, no app credential), and
    not in manifest (removed tenants Azure still holds, with what apply does with them).
    Warns of model versions retiring within 90 days.
    """
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.inspection import fleet_retirements, fleet_status
        from tenantctl.reconcile import PlanOptions, load_valid_manifest, make_plan_run

        loaded, warnings = load_valid_manifest(manifest)
        _check_filters(loaded, isolation, stamp)
        day = parse_today(today)
        with open_manifest_session(emulator, loaded) as session:
            run = make_plan_run(loaded, session, PlanOptions(reverify=reverify), warnings)
            retiring = fleet_retirements(session.cloud, run.observed, run.plan, today=day)
        result = fleet_status(
            loaded, run.plan, verifications=run.observed.byo, isolation=isolation, stamp=stamp, drift_only=drift_only
        )
        # Problems of no one tenant (quota lines, stamp budgets) would otherwise show nowhere.
        warnings.extend(d for d in run.plan.diagnostics if d.tenant is None)
        warnings.extend(retiring)  # what runs and what apply would create (plan shows only the latter)

        def human() -> None:
            from tenantctl.render.status import print_status

            print_status(result)

        return Outcome(data=result.to_json(), human=human, diagnostics=warnings)

    run_command("status", g, body)


def _check_filters(manifest: Manifest, isolation: str | None, stamp: str | None) -> None:
    import difflib

    from tenantctl.errors import UsageError
    from tenantctl.manifest.model import Isolation

    models = [i.value for i in Isolation]
    if isolation is not None and isolation not in models:
        raise UsageError(
            f"unknown isolation {isolation!r}", code="bad-option", hint="One of: " + ", ".join(models) + "."
        )
    if stamp is not None and stamp not in manifest.stamps:
        close = difflib.get_close_matches(stamp, list(manifest.stamps), n=3)
        hint = (
            f"Did you mean {', '.join(close)}?"
            if close
            else "Stamps: " + (", ".join(sorted(manifest.stamps)) or "none") + "."
        )
        raise UsageError(f"unknown stamp {stamp!r}", code="unknown-stamp", hint=hint)


def quota(
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
    location: Annotated[str | None, typer.Option("--location", help="Only this Azure region.")] = None,
) -> None:
    """Quota per region × model × SKU (limit, used, allocated, headroom) and stamp budgets. Read-only."""
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.inspection import observe_quota, quota_report
        from tenantctl.reconcile import load_valid_manifest

        loaded, warnings = load_valid_manifest(manifest)
        with open_manifest_session(emulator, loaded) as session:
            observed = observe_quota(loaded, session.cloud, locations=[location] if location else ())
        result = quota_report(loaded, observed, location=location)
        data = result.to_json()
        if location and not data.get("lines") and not data.get("stamps"):
            regions: set[str | None] = {loaded.provider.location}
            regions |= {getattr(s, "location", None) for s in loaded.stamps.values()}
            regions |= {getattr(t, "location", None) for t in loaded.tenants.values()}
            known = ", ".join(sorted(r for r in regions if r)) or "none"
            warnings.warning(
                "unknown-location",
                f"nothing in region {location!r}: the manifest uses {known}",
                detail="Azure region names are lower-case without spaces, e.g. swedencentral.",
            )

        def human() -> None:
            from tenantctl.render.status import print_quota

            print_quota(result)

        return Outcome(data=data, human=human, diagnostics=warnings)

    run_command("quota", g, body)
