"""``export routing``: the gateway's routing table, as neutral JSON or as APIM policy fragments.

Without ``--emulator`` or ``--observe`` nothing is read from Azure: endpoints are derived from
account names and ``ready`` is null.  With either, the accounts and deployments are observed (one
list per resource group and per managed account) and a tenant routes to a resource only once Azure
says it exists and is Succeeded (the make-before-break rule of a migration).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from tenantctl.cli.common import EmulatorOpt, Globals, ManifestOpt, Outcome, OutputOpt, VerboseOpt, run_command

__all__ = ["register"]

export_app = typer.Typer(
    name="export",
    help="Export what other systems need from the manifest (the gateway's routing table).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class Format(str, Enum):
    table = "table"
    json = "json"
    apim = "apim"


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.command("routing")
def routing(
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            help="table (for people), json (the routing document, for a gateway's config), or apim "
            "(policy fragments). With -o json the chosen form is the envelope's data.",
        ),
    ] = Format.table,
    observe: Annotated[
        bool, typer.Option("--observe", help="Read endpoints and provisioning states from Azure.")
    ] = False,
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
) -> None:
    """Per tenant: endpoint, deployment per model, auth mode, TPM budget, and the live route.

    Without --emulator or --observe, endpoints are derived from account names and readiness is not
    checked. With them, a tenant routes to new resources only once Azure reports them Succeeded
    (a migrating tenant keeps its previous route until then).
    """
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.export import routing_for, routing_to_apim, routing_to_json
        from tenantctl.reconcile import load_valid_manifest

        loaded, warnings = load_valid_manifest(manifest)
        observed = None
        if emulator or observe:
            import dataclasses

            from tenantctl.cli.runtime import open_manifest_session
            from tenantctl.observation import observe_accounts

            with open_manifest_session(emulator, loaded) as session:
                observed = observe_accounts(loaded, session.cloud)
                byo = session.verify_tenant_provided(loaded)
            observed = dataclasses.replace(observed, byo=byo) if byo else observed
        from tenantctl.cli.runtime import selected_cloud

        # Endpoint suffix, token scope and Entra authority are those of the cloud the tenants live in.
        table = routing_for(loaded, observed, selected_cloud(loaded, emulator=emulator))
        document = routing_to_json(table)
        if fmt is Format.apim:
            dimension = loaded.gateway.tenant_dimension if loaded.gateway else "Tenant"  # what `usage` reads
            fragments = routing_to_apim(table, tenant_dimension=dimension)
            data: dict[str, Any] = {"format": "apim", "source": table.source, "fragments": fragments}
            text = "".join(f"<!-- tenant {t} -->\n{xml}" for t, xml in fragments.items())
            return Outcome(data=data, human=lambda: typer.echo(text, nl=False), diagnostics=warnings)
        if fmt is Format.json:
            import json

            raw = json.dumps(document, indent=2)
            return Outcome(data=document, human=lambda: typer.echo(raw), diagnostics=warnings)
        return Outcome(data=document, human=lambda: _print_table(document), diagnostics=warnings)

    run_command("export routing", g, body)


def _print_table(document: dict[str, Any]) -> None:
    """One line per tenant for people; scripts use ``-o json`` (the documented schema)."""
    from rich.markup import escape

    from tenantctl.render.console import out_console

    console = out_console()
    console.print(escape(f"Routing for manifest {document['manifest']} ({document['source']}):"))
    if not document["tenants"]:
        console.print("  (no tenants in the manifest)")
    for tenant, e in document["tenants"].items():
        models = ", ".join(f"{k}→{v}" for k, v in e["deployments"].items()) or "-"
        ready = {True: "ready", False: "NOT READY", None: "unchecked"}[e["ready"]]
        live = "" if e["live"] == "target" else f" [live: {e['live']} via {e['via']}]"
        migrating = f" [migrating {e['migration']['from']}→{e['migration']['to']}]" if e["migration"] else ""
        budget = f" tpm={e['tpm']}" if e["tpm"] else ""
        console.print(
            escape(
                f"  {tenant}: {e['isolation']}{live}{migrating} {e['endpoint'] or '-'} {models}{budget} "
                f"auth={e['auth']['mode']} {ready}"
            )
        )
