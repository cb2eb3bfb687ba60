"""``validate``, ``init`` and ``schema``: the manifest commands (no cloud involved)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tenantctl.cli.common import (
    Globals,
    ManifestOpt,
    Outcome,
    OutputOpt,
    VerboseOpt,
    refuse_to_clobber,
    run_command,
    writing,
)
from tenantctl.errors import ExitCode, UsageError
from tenantctl.wording import count_of

if TYPE_CHECKING:
    from tenantctl.diagnostics import Diagnostics

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("init")(init)
    app.command("schema")(schema)


def validate(
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
) -> None:
    """Check the manifest: every problem at once, with key path and line."""
    g = Globals(manifest=manifest, output=output, verbose=verbose)

    def body() -> Outcome:
        from tenantctl.cli.runtime import requested_cloud_problem
        from tenantctl.diagnostics import Diagnostic
        from tenantctl.manifest.load import load_manifest

        result = load_manifest(manifest)
        problem = requested_cloud_problem(result.manifest) if result.manifest is not None else None
        if problem is not None:  # --cloud names a cloud this manifest cannot be deployed to
            result.diagnostics.extend([Diagnostic.from_error(problem)])
        ok = not result.diagnostics.has_errors
        summary = _validation_summary(result.manifest) if result.manifest is not None else None
        return Outcome(
            data={"manifest": str(manifest), "valid": ok, "summary": summary},
            human=lambda: _print_validation(manifest, summary, result.diagnostics),
            diagnostics=result.diagnostics,
            exit_code=ExitCode.SUCCESS if ok else ExitCode.ERROR,
        )

    run_command("validate", g, body)


def _print_validation(manifest: Path, summary: str | None, diagnostics: Diagnostics) -> None:
    from tenantctl.render.console import out_console

    errors, warnings = len(diagnostics.errors), len(diagnostics.warnings)
    if not diagnostics.has_errors:
        out_console().print(
            f"[success]✓[/success] {manifest} is valid: {summary}"
            + (f" ({count_of(warnings, 'warning')})" if warnings else "")
        )
    else:
        out_console().print(
            f"[error]✗[/error] {manifest}: {count_of(errors, 'error')}"
            + (f", {count_of(warnings, 'warning')}" if warnings else "")
        )


def _validation_summary(manifest: object) -> str:
    from tenantctl.manifest.model import Isolation, Manifest

    assert isinstance(manifest, Manifest)
    counts = {iso: 0 for iso in Isolation}
    for tenant in manifest.tenants.values():
        counts[tenant.isolation] += 1
    parts = ", ".join(f"{n} {iso.value}" for iso, n in counts.items() if n)
    return f"{count_of(len(manifest.tenants), 'tenant')} ({parts or 'none'}), {count_of(len(manifest.stamps), 'stamp')}"


def init(
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
) -> None:
    """Write a commented starter manifest (never overwrites an existing file)."""
    g = Globals(manifest=manifest, output=output, verbose=verbose)

    def body() -> Outcome:
        from tenantctl.manifest.edit import write_atomically
        from tenantctl.manifest.starter import starter_manifest_text

        if manifest.exists():
            raise UsageError(
                f"{manifest} already exists; init never overwrites a manifest",
                code="exists",
                hint="Choose another path with -f, or edit the existing file.",
            )
        with writing(manifest, "manifest"):
            write_atomically(manifest, starter_manifest_text())

        def human() -> None:
            from tenantctl.render.console import out_console

            out_console().print(f"[success]✓[/success] wrote {manifest}; next: tenantctl validate -f {manifest}")

        return Outcome(data={"manifest": str(manifest), "written": True}, human=human)

    run_command("init", g, body)


def schema(
    output_file: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON Schema to this file instead of stdout.")
    ] = None,
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
) -> None:
    """Print the manifest's JSON Schema (for TOML editors such as Taplo / Even Better TOML)."""
    g = Globals(output=output, verbose=verbose)

    def body() -> Outcome:
        from tenantctl.manifest.schema import manifest_json_schema

        document = manifest_json_schema()
        text = json.dumps(document, indent=2) + "\n"
        if output_file is not None:
            from tenantctl.manifest.edit import write_atomically

            refuse_to_clobber(output_file, "the JSON Schema")
            with writing(output_file, "the JSON Schema to"):
                write_atomically(output_file, text)

        def human() -> None:
            if output_file is None:
                typer.echo(text, nl=False)
            else:
                from tenantctl.render.console import out_console

                out_console().print(f"[success]✓[/success] wrote {output_file}")

        return Outcome(data=document, human=human)

    run_command("schema", g, body)
