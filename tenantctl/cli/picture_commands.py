"""``export diagram`` (the fleet as Mermaid, DOT or SVG) and ``report --html`` (one offline page).

Neither writes to Azure. Without ``--emulator`` the diagram comes from the manifest alone (placement
on an empty cloud); with it, placement is sticky on the observed accounts, like ``export routing``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from tenantctl.cli.common import EmulatorOpt, Globals, ManifestOpt, Outcome, OutputOpt, VerboseOpt, run_command

if TYPE_CHECKING:
    from tenantctl.manifest.model import Manifest
    from tenantctl.observation import ObservedState
    from tenantctl.usage import UsageCloud

__all__ = ["register"]


class DiagramFormat(str, Enum):
    mermaid = "mermaid"
    dot = "dot"
    svg = "svg"


def register(app: typer.Typer) -> None:
    from tenantctl.cli.export_commands import export_app

    export_app.command("diagram")(diagram)
    app.command("report")(report)


OutFileOpt = Annotated[
    Path | None, typer.Option("--out", help="Write to this file instead of standard output.", dir_okay=False)
]


def _refuse_to_replace(path: Path, marker: str, what: str, manifest: Path) -> None:
    """Replace only a file tenantctl wrote before (it carries ``marker``), never the manifest or
    somebody's document."""
    from tenantctl.errors import UsageError

    if not path.exists() or path.is_dir():
        return  # a directory in the way is reported by the write, with its name
    if manifest.exists() and path.resolve() == manifest.resolve():
        raise UsageError(
            f"--out {path} is the manifest itself; refusing to replace it with {what}", code="would-overwrite"
        )
    try:
        head = path.read_bytes()[:4096].decode("utf-8", "replace")
    except OSError:
        return  # unreadable: the write reports it
    if marker not in head:
        raise UsageError(
            f"{path} exists and is not {what} tenantctl wrote; refusing to replace it",
            code="would-overwrite",
            hint="Choose another file, or remove it first if it is really meant to go.",
        )


def _observe(emulator: bool, manifest: Manifest) -> ObservedState | None:
    if not emulator:
        return None
    from tenantctl.cli.runtime import open_manifest_session
    from tenantctl.observation import observe_accounts

    with open_manifest_session(emulator, manifest) as session:
        return observe_accounts(manifest, session.cloud)


def diagram(
    fmt: Annotated[
        DiagramFormat,
        typer.Option(
            "--format", help="mermaid (for Markdown), dot (for Graphviz), or svg (a picture, no tools needed)."
        ),
    ] = DiagramFormat.mermaid,
    out: OutFileOpt = None,
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
) -> None:
    """The fleet as a picture: tenants → stamps → accounts → deployments, coloured by isolation, with capacity.

    Sorted and escaped: the same manifest gives the same bytes. With --emulator, dedicated-deployment
    tenants are shown on the stamp account they already live on.
    """
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.cli.common import writing
        from tenantctl.export.diagram import GENERATED_BY, diagram_for, to_dot, to_mermaid
        from tenantctl.export.diagram_svg import to_svg
        from tenantctl.reconcile import load_valid_manifest

        loaded, warnings = load_valid_manifest(manifest)
        if out is not None:
            _refuse_to_replace(out, GENERATED_BY, f"a {fmt.value} diagram", manifest)
        picture, placement = diagram_for(loaded, _observe(emulator, loaded))
        warnings.extend(placement)
        render = {DiagramFormat.mermaid: to_mermaid, DiagramFormat.dot: to_dot, DiagramFormat.svg: to_svg}[fmt]
        text = render(picture)
        data: dict[str, Any] = {
            "format": fmt.value,
            "nodes": len(picture.nodes),
            "edges": len(picture.edges),
        }
        if out is not None:
            with writing(out, "the diagram"):
                out.write_text(text, encoding="utf-8")
            data["path"] = str(out)
            return Outcome(
                data=data, human=lambda: typer.echo(f"Wrote {fmt.value} diagram to {out}"), diagnostics=warnings
            )
        data["text"] = text
        return Outcome(data=data, human=lambda: typer.echo(text, nl=False), diagnostics=warnings)

    run_command("export diagram", g, body)


def report(
    html: Annotated[
        Path, typer.Option("--html", help="The page to write (one self-contained HTML file).", dir_okay=False)
    ],
    since: Annotated[str, typer.Option("--since", help="Usage window ending at this hour: 30d, 7d, 24h...")] = "30d",
    gateway_workspace: Annotated[
        str | None,
        typer.Option(
            "--gateway-workspace",
            help="Log Analytics workspace id of the gateway's token metrics (shared tenants' usage); "
            "the emulator's own by default with --emulator.",
        ),
    ] = None,
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
) -> None:
    """One offline HTML page: fleet diagram, utilisation per stamp, quota headroom per region, usage per tenant.

    Read-only. Usage comes from Azure Monitor (dedicated and dedicated-deployment tenants) and the
    gateway's workspace (shared tenants); a source that cannot be read is marked on the page.
    """
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from datetime import datetime, timezone

        from tenantctl.cli.common import writing
        from tenantctl.cli.runtime import open_manifest_session
        from tenantctl.reconcile import load_valid_manifest
        from tenantctl.report import GENERATOR, render_html
        from tenantctl.report.build import fleet_report, parse_since

        window = parse_since(since)
        loaded, warnings = load_valid_manifest(manifest)
        _refuse_to_replace(html, GENERATOR, "a report", manifest)
        with open_manifest_session(emulator, loaded) as session:
            # The Azure adapter and the emulator's both implement the usage port (mypy checks the adapter).
            usage_cloud = cast("UsageCloud", session.cloud) if hasattr(session.cloud, "query_account_usage") else None
            result, diagnostics = fleet_report(
                loaded,
                session.cloud,
                usage_cloud=usage_cloud,
                since=window,
                now=datetime.now(timezone.utc),
                gateway_workspace=gateway_workspace or session.gateway_workspace,
            )
        warnings.extend(diagnostics)
        page = render_html(result)
        with writing(html, "the report"):
            html.write_text(page, encoding="utf-8")
        data = {
            "path": str(html),
            "bytes": len(page.encode("utf-8")),
            "usage_collected": result.usage.collected,
            "tenants": len(loaded.tenants),
        }
        return Outcome(data=data, human=lambda: typer.echo(f"Wrote the fleet report to {html}"), diagnostics=warnings)

    run_command("report", g, body)
