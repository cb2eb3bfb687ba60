"""``byo consent-url`` and ``byo verify``: onboarding tenant-provided ("bring your own") accounts.

The tenant's admin consents to the provider's multi-tenant app and assigns it one role on their
account; tenantctl prints exactly what to do and then verifies it end to end, read-only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tenantctl.cli.common import EmulatorOpt, Globals, ManifestOpt, Outcome, OutputOpt, VerboseOpt, run_command
from tenantctl.errors import ExitCode

if TYPE_CHECKING:
    from tenantctl.diagnostics import Diagnostics
    from tenantctl.manifest.model import Manifest
    from tenantctl.tenant_provided import ByoReport, Onboarding

__all__ = ["register"]

TenantArg = Annotated[str, typer.Argument(help='A tenant of the manifest with isolation = "tenant-provided".')]


def _https_url(value: str | None) -> str | None:
    """Endpoints are https URLs: a consent link is opened by a tenant's admin, so no other scheme."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a URL") from None
    if parts.scheme != "https" or not parts.hostname:
        raise typer.BadParameter(f"{value!r} is not an https:// URL (e.g. https://login.microsoftonline.com)")
    return value


AuthorityOpt = Annotated[
    str | None,
    typer.Option(
        "--authority-host",
        callback=_https_url,
        envvar="TENANTCTL_AUTHORITY_HOST",
        show_default=False,
        help="Entra authority host (default: the cloud's, see --cloud; login.microsoftonline.com in AzureCloud).",
    ),
]


def register(app: typer.Typer) -> None:
    byo = typer.Typer(
        name="byo",
        no_args_is_help=True,
        rich_markup_mode=None,
        help="Tenant-provided accounts: admin-consent instructions and end-to-end verification.",
    )
    byo.command("consent-url")(consent_url)
    byo.command("verify")(verify)
    app.add_typer(byo, name="byo")


def _load(path: Path) -> tuple[Manifest | None, Diagnostics]:
    from tenantctl.manifest.load import load_manifest

    result = load_manifest(path)
    return result.manifest, result.diagnostics


def consent_url(
    tenant: TenantArg,
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
    authority_host: AuthorityOpt = None,
    state: Annotated[str | None, typer.Option("--state", help="OAuth state (default tenantctl-<tenant>).")] = None,
) -> None:
    """Print the admin-consent URL and the exact role assignment the tenant's admin must make.

    Needs no credential and makes no call. The URL always names the tenant's directory, never
    "common". With --emulator the URL is the same as for Azure: it is meant for a person.
    """
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.cli.runtime import offline_cloud
        from tenantctl.tenant_provided import tenant_onboarding

        loaded, diagnostics = _load(manifest)
        if loaded is None:
            return Outcome(diagnostics=diagnostics, exit_code=ExitCode.ERROR)
        cloud = offline_cloud(loaded)
        guide = tenant_onboarding(loaded, tenant, authority_host=authority_host, state=state, cloud=cloud)
        return Outcome(data=guide.to_json(), human=lambda: _show_onboarding(guide))

    run_command("byo consent-url", g, body)


def verify(
    tenant: TenantArg,
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
    authority_host: AuthorityOpt = None,
    arm_endpoint: Annotated[
        str | None,
        typer.Option(
            "--arm-endpoint",
            envvar="TENANTCTL_ARM_ENDPOINT",
            callback=_https_url,
            show_default=False,
            help="Azure Resource Manager endpoint (default: the cloud's, see --cloud).",
        ),
    ] = None,
    ca_bundle: Annotated[
        Path | None,
        typer.Option(
            "--ca-bundle",
            envvar="TENANTCTL_CA_BUNDLE",
            exists=True,
            dir_okay=False,
            readable=True,
            show_default=False,
            help="Trust this CA bundle for Entra and ARM (private or emulated clouds).",
        ),
    ] = None,
    role_wait: Annotated[
        float,
        typer.Option(
            "--role-wait",
            min=0,
            metavar="SECONDS",
            help="How long to retry a 403 while a new role assignment propagates.",
        ),
    ] = 8.0,
    emulator_skip_consent: Annotated[
        bool,
        typer.Option(
            "--emulator-skip-consent", hidden=True, help="--emulator: simulate an admin who has not consented yet."
        ),
    ] = False,
    emulator_skip_role: Annotated[
        bool,
        typer.Option(
            "--emulator-skip-role", hidden=True, help="--emulator: simulate an admin who has not assigned the role yet."
        ),
    ] = False,
) -> None:
    """Verify, as the provider's app, that the tenant's account is reachable: token in the tenant's
    directory, account read, expected deployments, network rules. Read-only. Exit 0 when every check
    passes, 1 otherwise.

    The app's credential comes from the environment (TENANTCTL_APP_CERTIFICATE,
    TENANTCTL_APP_FEDERATED_TOKEN_FILE, TENANTCTL_APP_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE or
    GitHub Actions OIDC), never from the manifest. With --emulator, tenantctl plays the tenant's admin
    in the local emulator (consent and role included) before verifying.
    """
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.cli.runtime import open_session, selected_cloud
        from tenantctl.tenant_provided import tenant_onboarding
        from tenantctl.tenant_provided.verification import ProbeEndpoints, RoleWait

        loaded, diagnostics = _load(manifest)
        if loaded is None:
            return Outcome(diagnostics=diagnostics, exit_code=ExitCode.ERROR)
        tenant_onboarding(loaded, tenant)  # a usage error (unknown tenant, no [provider.app]) before any I/O
        wait = RoleWait(total_seconds=role_wait, first_delay=min(1.0, role_wait / 4) if role_wait else 0.0)
        ca_path = str(ca_bundle) if ca_bundle else None
        # The tenant's directory and account live in the provider's cloud (validate refuses another one).
        cloud = selected_cloud(loaded, emulator=emulator)
        endpoints = ProbeEndpoints(
            authority_host or cloud.authority_host, arm_endpoint or cloud.resource_manager, ca_path, cloud.arm_scope
        )
        with open_session(emulator=emulator, manifest=loaded) as session:
            verifier = session.tenant_verifier(
                loaded,
                role_wait=wait,
                endpoints=endpoints,
                consent=not emulator_skip_consent,
                assign_role=not emulator_skip_role,
            )
            report = verifier(loaded, tenant)
        return _verify_outcome(report, g)

    run_command("byo verify", g, body)


def _verify_outcome(report: ByoReport, g: Globals) -> Outcome:
    from tenantctl.diagnostics import Diagnostic, Diagnostics, Severity

    found = Diagnostics()
    if g.json:  # people read the checks themselves; scripts also get one diagnostic per failure
        for c in report.checks:
            if c.status.value in ("failed", "warning"):
                severity = Severity.ERROR if c.status.value == "failed" else Severity.WARNING
                found.append(Diagnostic(severity, c.code, c.summary, detail=c.next_step, tenant=report.tenant))
    return Outcome(
        data=report.to_json(),
        human=lambda: _show_report(report),
        diagnostics=found,
        exit_code=ExitCode.SUCCESS if report.ok else ExitCode.ERROR,
    )


def _show_onboarding(guide: Onboarding) -> None:
    from rich.markup import escape

    from tenantctl.render.console import out_console

    con = out_console()
    con.print(
        f"[heading]Onboarding tenant {escape(guide.tenant)}[/heading] "
        f"[muted](directory {guide.directory}, provider app {guide.client_id})[/muted]"
    )
    con.print()
    con.print(
        "1. The tenant's admin (Global Administrator, Cloud Application Administrator or Application "
        "Administrator of the tenant's directory) opens this URL and accepts:"
    )
    con.print(f"   {escape(guide.consent_url)}", markup=True)
    con.print()
    con.print(
        "2. The tenant's admin assigns the provider app one role on the account "
        f'(least privilege: "{guide.role.role_name}", no keys, no writes):'
    )
    con.print(f"   {escape(guide.role.az_command)}")
    con.print(f"   [muted]or: {escape(guide.role.portal_path)}[/muted]")
    con.print()
    con.print("3. Then verify end to end (role assignments can take a few minutes to apply):")
    con.print(f"   {escape(guide.verify_command)}")


_MARKS = {
    "ok": "[success]✓[/success]",
    "warning": "[warning]![/warning]",
    "failed": "[error]✗[/error]",
    "skipped": "[muted]-[/muted]",
}


def _show_report(report: ByoReport) -> None:
    from rich.markup import escape

    from tenantctl.render.console import out_console

    con = out_console()
    account = report.resource_id.rsplit("/", 1)[-1]
    con.print(
        f"[heading]Tenant {escape(report.tenant)}[/heading] [muted](tenant-provided: account "
        f"{escape(account)}, directory {report.directory})[/muted]"
    )
    for c in report.checks:
        con.print(f"  {_MARKS[c.status.value]} {c.name.value:<12} {escape(c.summary)}")
        if c.diagnosis:
            con.print(f"      [muted]why:[/muted]  {escape(c.diagnosis)}")
        if c.next_step:
            con.print(f"      [muted]next:[/muted] {escape(c.next_step)}")
        if c.detail and c.status.value == "failed":
            con.print(f"      [muted]detail: {escape(c.detail)}[/muted]")
    passed = sum(1 for c in report.checks if c.passed)
    if report.ok:
        con.print(f"[success]✓ verified[/success]: {passed} of {len(report.checks)} checks passed")
    else:
        con.print(f"[error]✗ not verified[/error]: {passed} of {len(report.checks)} checks passed")
